package eu.souverain.engine.model;

import eu.souverain.engine.sample.Sampler;
import eu.souverain.engine.sample.StopMatcher;
import eu.souverain.engine.tokenizer.TokenDecoder;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.util.List;
import java.util.function.Consumer;

/**
 * The decoding loop for one sequence: prompt in, text streamed out as it is sampled, until an
 * end-of-generation token, a stop string, the token budget or the context length ends it.
 */
public final class Generator {

    /** Why generation ended, in the words of the Mistral/OpenAI APIs. */
    public enum Finish {
        /** The model ended its answer, or a stop string appeared. */
        STOP,
        /** The token budget ran out. */
        LENGTH,
        /** The context window is full. */
        MODEL_LENGTH
    }

    /**
     * What one generation did; {@code cachedTokens} of the prompt were reused from the state.
     * Times are wall-clock nanoseconds.
     */
    public record Result(int promptTokens, int cachedTokens, int generatedTokens, Finish finish, long promptNanos,
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
        Tokenizer tokenizer = model.tokenizer();
        TokenDecoder decoder = tokenizer.newDecoder();
        StopMatcher stopMatcher = new StopMatcher(stops);
        long start = System.nanoTime();
        // Reuse what the state already ran; the last prompt token always runs again for its logits.
        int cached = Math.min(state.cachedPrefix(prompt), prompt.length - 1);
        float[] logits = model.ingest(state, prompt, cached, prompt.length, cached);
        for (int token : prompt) {
            sampler.accept(token);
            decoder.next(token);  // so the first generated piece is decoded as a continuation
        }
        long promptDone = System.nanoTime();

        int position = prompt.length;
        int generated = 0;
        Finish finish = Finish.LENGTH;
        while (generated < maxTokens) {
            int token = sampler.sample(logits);
            sampler.accept(token);
            generated++;
            if (tokenizer.isEndOfGeneration(token)) {
                finish = Finish.STOP;
                break;
            }
            emit(onText, stopMatcher.feed(decoder.next(token)));
            if (stopMatcher.stopped()) {
                finish = Finish.STOP;
                break;
            }
            if (generated == maxTokens) {
                break;
            }
            if (position == state.capacity()) {
                finish = Finish.MODEL_LENGTH;
                break;
            }
            logits = model.forward(state, token, position++);
        }
        if (!stopMatcher.stopped()) {
            emit(onText, stopMatcher.feed(decoder.flush()));
            emit(onText, stopMatcher.flush());
        }
        return new Result(prompt.length, cached, generated, finish, promptDone - start, System.nanoTime() - promptDone);
    }

    private static void emit(Consumer<String> onText, String text) {
        if (!text.isEmpty()) {
            onText.accept(text);
        }
    }
}
