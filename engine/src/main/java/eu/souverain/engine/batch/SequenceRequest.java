package eu.souverain.engine.batch;

import eu.souverain.engine.sample.Sampler;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * One generation for a {@link BatchScheduler}: the prompt's tokens, its own sampler (with its
 * own settings and seed), at most {@code maxTokens} tokens, the stop strings, how long it may
 * take from submission (null: as long as it needs) and where each complete piece of text goes;
 * {@code onText} runs on the scheduler's thread and must return quickly.
 *
 * <p>{@code owner} is an opaque key of whoever asked (the scheduler knows no tenants): places are
 * shared fairly between owners, so that one owner's flood of sequences never keeps another's out.
 * A {@code background} sequence (a batch job's) runs only in places no interactive one wants: see
 * {@link BatchScheduler}.
 */
public record SequenceRequest(int[] prompt, Sampler sampler, int maxTokens, List<String> stops, Duration timeout,
                              Consumer<String> onText, String owner, boolean background) {

    /** An interactive request of {@code owner}. */
    public SequenceRequest(int[] prompt, Sampler sampler, int maxTokens, List<String> stops, Duration timeout,
                           Consumer<String> onText, String owner) {
        this(prompt, sampler, maxTokens, stops, timeout, onText, owner, false);
    }

    /** A request of the one anonymous owner. */
    public SequenceRequest(int[] prompt, Sampler sampler, int maxTokens, List<String> stops, Duration timeout,
                           Consumer<String> onText) {
        this(prompt, sampler, maxTokens, stops, timeout, onText, "", false);
    }

    public SequenceRequest {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: give at least one token");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative, was " + maxTokens);
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("the timeout must be positive, was " + timeout);
        }
        if (owner == null) {
            throw new IllegalArgumentException("the owner key must not be null; \"\" is the anonymous owner");
        }
        prompt = prompt.clone();
        stops = List.copyOf(stops);
    }
}
