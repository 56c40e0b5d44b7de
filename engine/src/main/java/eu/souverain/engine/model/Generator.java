package eu.souverain.engine.model;

import eu.souverain.engine.sample.Sampler;
import java.util.List;
import java.util.function.Consumer;

/**
 * The decoding loop for one sequence: prompt in, text streamed out as it is sampled, until an
 * end-of-generation token, a stop string, the token budget or the context length ends it.
 */
public final class Generator {

    /**
     * What one generation did; {@code cachedTokens} of the prompt were reused from the state.
     * Times are wall-clock nanoseconds.
     */
    public record Result(int promptTokens, int cachedTokens, int generatedTokens, FinishReason finish, long promptNanos,
                         long generationNanos) {}

    private final LlamaModel model;
    private final InferenceState state;

    public Generator(LlamaModel model, InferenceState state) {
        this.model = model;
        this.state = state;
    }

    /**
     * Runs {@code prompt} from position 0 (skipping what the state already holds), then samples up to {@code maxTokens} tokens, passing
     * each complete piece of text to {@code onText} as soon as no stop string can still hide in it.
     * Prompt tokens are given to the sampler as history, so penalties see them (as llama.cpp does).
     */
    public Result generate(int[] prompt, Sampler sampler, int maxTokens, List<String> stops, Consumer<String> onText) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: give at least one token");
        }
        if (prompt.length >= state.capacity()) {
            throw new IllegalArgumentException("the prompt has " + prompt.length
                    + " tokens; the context holds " + state.capacity());
        }
        Decoding decoding = new Decoding(model.tokenizer(), sampler, maxTokens, stops, state.capacity(), onText);
        long start = System.nanoTime();
        // Reuse what the state already ran; the last prompt token always runs again for its logits.
        int cached = Math.min(state.cachedPrefix(prompt), prompt.length - 1);
        float[] logits = model.ingest(state, prompt, cached, prompt.length, cached);
        decoding.prompt(prompt);
        long promptDone = System.nanoTime();

        FinishReason finish;
        while ((finish = decoding.next(logits)) == null) {
            logits = model.forward(state, decoding.token(), decoding.position());
        }
        return new Result(prompt.length, cached, decoding.generated(), finish, promptDone - start,
                System.nanoTime() - promptDone);
    }
}
