package eu.souverain.engine.model;

/**
 * Perplexity over a token stream as llama.cpp's perplexity tool measures it: the text is cut into
 * non-overlapping windows of {@code context} tokens, each starts afresh (its first token replaced
 * by BOS when the model adds one), and only the second half of each window is scored, so that
 * every scored token has at least half a window of context.
 */
public final class Perplexity {

    /** exp(mean negative log-likelihood) over {@code scoredTokens} predictions. */
    public record Result(double perplexity, double meanNll, int windows, int scoredTokens) {}

    /** Called after each window with the perplexity so far. */
    public interface Progress {
        void windowDone(int window, int windows, double perplexitySoFar);
    }

    private Perplexity() {}

    public static Result measure(LlamaModel model, InferenceState state, int[] tokens, int context, Progress progress) {
        if (context < 4) {
            throw new IllegalArgumentException("the context must be at least 4 tokens, was " + context);
        }
        if (context > state.capacity()) {
            throw new IllegalArgumentException("a window of " + context + " tokens exceeds the model's context of "
                    + state.capacity());
        }
        int windows = tokens.length / context;
        if (windows == 0) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens, fewer than one window of "
                    + context + "; give a longer text or a smaller --context");
        }
        boolean bos = model.tokenizer().addBos();
        int[] window = new int[context];
        Scorer scorer = new Scorer(tokens);
        for (int w = 0; w < windows; w++) {
            scorer.start = w * context;
            System.arraycopy(tokens, scorer.start, window, 0, context);
            if (bos) {
                window[0] = model.tokenizer().bosToken();
            }
            model.ingest(state, window, 0, context - 1, 0, context / 2, scorer);
            progress.windowDone(w + 1, windows, Math.exp(scorer.nll / scorer.scored));
        }
        return new Result(Math.exp(scorer.nll / scorer.scored), scorer.nll / scorer.scored, windows, scorer.scored);
    }

    /** Adds up the negative log-likelihood of the token that follows each scored position. */
    private static final class Scorer implements LlamaModel.LogitsConsumer {
        private final int[] tokens;
        int start;  // the window's first token in tokens
        double nll;
        int scored;

        Scorer(int[] tokens) {
            this.tokens = tokens;
        }

        @Override
        public void accept(int position, float[] logits) {
            nll -= logSoftmax(logits, tokens[start + position + 1]);
            scored++;
        }
    }

    private static double logSoftmax(float[] logits, int target) {
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
