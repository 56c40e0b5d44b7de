package eu.souverain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import eu.souverain.engine.TestFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Perplexity of the real stories260K model over a short story, against a token-by-token count. */
class PerplexityTest {

    private static final String STORY = "Once upon a time, there was a little girl named Lily. She loved to play outside"
            + " in the sunshine. One day, she saw a big, red ball in the park. She ran to get it, but a dog got"
            + " there first. The dog was friendly and wanted to play. Lily and the dog played with the ball all"
            + " day long. When it was time to go home, Lily said goodbye to her new friend. She was very happy.";

    @Test
    void blocksScoreLikeForwardOneTokenAtATime() throws IOException {
        int context = 40;
        try (LlamaModel model = LlamaModel.load(TestFiles.shared("models/stories260K.gguf"));
             InferenceState state = model.newState(2)) {
            int[] tokens = model.tokenizer().encode(STORY);
            int windows = tokens.length / context;
            assertThat(windows).isGreaterThanOrEqualTo(2);

            // llama.cpp's rule, written out: BOS first, score the second half of each window.
            double nll = 0;
            int scored = 0;
            for (int w = 0; w < windows; w++) {
                for (int j = 0; j < context - 1; j++) {
                    int token = j == 0 ? model.tokenizer().bosToken() : tokens[w * context + j];
                    float[] logits = model.forward(state, token, j);
                    if (j >= context / 2) {
                        nll -= logProbability(logits, tokens[w * context + j + 1]);
                        scored++;
                    }
                }
            }

            List<Integer> progress = new ArrayList<>();
            Perplexity.Result result = Perplexity.measure(model, state, tokens, context,
                    (window, total, soFar) -> progress.add(window));
            assertThat(result.windows()).isEqualTo(windows);
            assertThat(result.scoredTokens()).isEqualTo(scored);
            assertThat(result.meanNll()).isCloseTo(nll / scored, within(1e-4));
            assertThat(result.perplexity()).isBetween(1.0, 100.0);
            assertThat(progress).containsExactly(java.util.stream.IntStream.rangeClosed(1, windows).boxed()
                    .toArray(Integer[]::new));
        }
    }

    private static double logProbability(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float logit : logits) {
            max = Math.max(max, logit);
        }
        double sum = 0;
        for (float logit : logits) {
            sum += Math.exp(logit - max);
        }
        return logits[target] - max - Math.log(sum);
    }
}
