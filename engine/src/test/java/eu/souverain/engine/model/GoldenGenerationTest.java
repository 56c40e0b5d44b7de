package eu.souverain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.TestFiles;
import eu.souverain.engine.sample.Sampler;
import eu.souverain.engine.sample.SamplerConfig;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** Greedy decoding of the real stories260K model reproduces llama2.c's output token for token. */
class GoldenGenerationTest {

    private final JsonNode golden = readGolden();

    @Test
    void greedyTokensMatchTheGoldenContinuation() throws IOException {
        int[] prompt = ints(golden.get("prompt_token_ids"));
        int[] expected = ints(golden.get("generated_token_ids"));
        try (LlamaModel model = LlamaModel.load(TestFiles.shared("models/stories260K.gguf"));
             InferenceState state = model.newState(2)) {
            Tokenizer tokenizer = model.tokenizer();
            int[] encoded = tokenizer.encode(golden.get("prompt").asText());
            assertThat(prepend(tokenizer.bosToken(), encoded)).containsExactly(prompt);

            float[] logits = null;
            for (int pos = 0; pos < prompt.length; pos++) {
                logits = model.forward(state, prompt[pos], pos);
            }
            assertThat(greedy(model, state, logits, prompt.length, expected.length)).containsExactly(expected);
        }
    }

    @Test
    void aPromptIngestedInBlocksGivesTheGoldenTokens() throws IOException {
        int[] prompt = ints(golden.get("prompt_token_ids"));
        int[] expected = ints(golden.get("generated_token_ids"));
        try (LlamaModel model = LlamaModel.load(TestFiles.shared("models/stories260K.gguf"));
             InferenceState state = model.newState(2)) {
            float[] logits = model.ingest(state, prompt, 0, prompt.length, 0);
            assertThat(greedy(model, state, logits, prompt.length, expected.length)).containsExactly(expected);
        }
    }

    @Test
    void generatorStreamsTheGoldenText() throws IOException {
        int[] prompt = ints(golden.get("prompt_token_ids"));
        int count = golden.get("generated_token_ids").size();
        try (LlamaModel model = LlamaModel.load(TestFiles.shared("models/stories260K.gguf"));
             InferenceState state = model.newState(1)) {
            StringBuilder text = new StringBuilder();
            Generator.Result result = new Generator(model, state).generate(prompt,
                    new Sampler(SamplerConfig.greedy(), model.config().vocabularySize()), count, List.of(), text::append);
            assertThat(text.toString()).isEqualTo(golden.get("continuation").asText());
            assertThat(result.generatedTokens()).isEqualTo(count);
            assertThat(result.finish()).isEqualTo(FinishReason.LENGTH);
        }
    }

    @Test
    void aStopStringEndsGenerationBeforeIt() throws IOException {
        int[] prompt = ints(golden.get("prompt_token_ids"));
        try (LlamaModel model = LlamaModel.load(TestFiles.shared("models/stories260K.gguf"));
             InferenceState state = model.newState(1)) {
            StringBuilder text = new StringBuilder();
            Generator.Result result = new Generator(model, state).generate(prompt,
                    new Sampler(SamplerConfig.greedy(), model.config().vocabularySize()), 64, List.of("Lily"),
                    text::append);
            assertThat(text.toString()).isEqualTo(", there was a little girl named ");
            assertThat(result.finish()).isEqualTo(FinishReason.STOP);
        }
    }

    @Test
    void aLongerPromptReusesTheCachedPrefix() throws IOException {
        int[] prompt = ints(golden.get("prompt_token_ids"));
        try (LlamaModel model = LlamaModel.load(TestFiles.shared("models/stories260K.gguf"));
             InferenceState state = model.newState(1)) {
            Generator generator = new Generator(model, state);
            Sampler greedy = new Sampler(SamplerConfig.greedy(), model.config().vocabularySize());
            StringBuilder first = new StringBuilder();
            generator.generate(prompt, greedy, 8, List.of(), first::append);
            StringBuilder second = new StringBuilder();
            Generator.Result again = generator.generate(prompt, new Sampler(SamplerConfig.greedy(), 512), 8, List.of(),
                    second::append);
            assertThat(again.cachedTokens()).isEqualTo(prompt.length - 1);
            assertThat(second.toString()).isEqualTo(first.toString());
        }
    }

    /** {@code count} tokens decoded greedily from {@code logits}, the next one at {@code position}. */
    private static int[] greedy(LlamaModel model, InferenceState state, float[] logits, int position, int count) {
        int[] generated = new int[count];
        for (int i = 0; i < count; i++) {
            generated[i] = argmax(logits);
            logits = model.forward(state, generated[i], position + i);
        }
        return generated;
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static int[] prepend(int first, int[] rest) {
        int[] all = new int[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    private static JsonNode readGolden() {
        try {
            return new ObjectMapper().readTree(TestFiles.shared("models/golden/stories260K-once-upon-a-time.json").toFile());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
