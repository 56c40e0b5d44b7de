package eu.souverain.engine.model;

import eu.souverain.engine.sample.Sampler;
import eu.souverain.engine.sample.StopMatcher;
import eu.souverain.engine.tokenizer.TokenDecoder;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.util.List;
import java.util.function.Consumer;

/**
 * What one generation does with each set of logits: sample the next token, pass on the text that
 * no stop string can still hide in, and decide whether it ends there or the token runs next. The
 * same for a sequence run alone ({@link Generator}) and one run in a batch, so both end alike.
 */
public final class Decoding {

    private final Tokenizer tokenizer;
    private final Sampler sampler;
    private final int maxTokens;
    private final int capacity;
    private final Consumer<String> onText;
    private final TokenDecoder decoder;
    private final StopMatcher stopMatcher;
    private int promptLength;
    private int generated;
    private int token;

    /**
     * Samples with {@code sampler} up to {@code maxTokens} tokens, ending at a stop string of
     * {@code stops} or when the sequence reaches {@code capacity} positions; text goes to {@code onText}.
     */
    public Decoding(Tokenizer tokenizer, Sampler sampler, int maxTokens, List<String> stops, int capacity,
                    Consumer<String> onText) {
        this.tokenizer = tokenizer;
        this.sampler = sampler;
        this.maxTokens = maxTokens;
        this.capacity = capacity;
        this.onText = onText;
        this.decoder = tokenizer.newDecoder();
        this.stopMatcher = new StopMatcher(stops);
    }

    /**
     * Takes the prompt as history: penalties see its tokens (as llama.cpp does), and the first
     * generated piece is decoded as a continuation of it.
     */
    public void prompt(int[] prompt) {
        promptLength = prompt.length;
        for (int t : prompt) {
            sampler.accept(t);
            decoder.next(t);
        }
    }

    /**
     * Samples from {@code logits}, the model's output after the last prompt token or the last
     * {@link #token()}. Returns null when the sampled token is to run at {@link #position()} next,
     * or why the generation ends, its held-back text passed on.
     */
    public FinishReason next(float[] logits) {
        FinishReason finish = sample(logits);
        if (finish != null && !stopMatcher.stopped()) {
            emit(stopMatcher.feed(decoder.flush()));
            emit(stopMatcher.flush());
        }
        return finish;
    }

    private FinishReason sample(float[] logits) {
        if (generated == maxTokens) {
            return FinishReason.LENGTH;
        }
        token = sampler.sample(logits);
        sampler.accept(token);
        generated++;
        if (tokenizer.isEndOfGeneration(token)) {
            return FinishReason.STOP;
        }
        emit(stopMatcher.feed(decoder.next(token)));
        if (stopMatcher.stopped()) {
            return FinishReason.STOP;
        }
        if (generated == maxTokens) {
            return FinishReason.LENGTH;
        }
        if (position() == capacity) {
            return FinishReason.MODEL_LENGTH;
        }
        return null;
    }

    /** The token sampled last. */
    public int token() {
        return token;
    }

    /** The position the last sampled token runs at. */
    public int position() {
        return promptLength + generated - 1;
    }

    public int generated() {
        return generated;
    }

    private void emit(String text) {
        if (!text.isEmpty()) {
            onText.accept(text);
        }
    }
}
