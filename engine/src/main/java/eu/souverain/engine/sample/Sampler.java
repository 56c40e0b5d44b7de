package eu.souverain.engine.sample;

import java.util.SplittableRandom;

/**
 * Picks the next token from a vector of logits, in llama.cpp's default order: penalties, top-k,
 * top-p, min-p, temperature, then a seeded draw; with temperature 0: penalties, then argmax.
 *
 * <p>One instance per sequence; not thread-safe. Its working arrays are allocated once, sized
 * for the vocabulary, so sampling a token allocates nothing. The draw uses
 * {@link SplittableRandom}, whose algorithm is specified, so a seed gives the same tokens on
 * every JVM.
 *
 * <p>A {@link JsonConstraint} attached at construction masks the logits before anything else, and
 * advances on each token accepted after a {@link #sample}; tokens accepted before the first sample
 * (the prompt) are history for the penalties only.
 */
public final class Sampler {

    /** Below this many candidates, top-p's search sorts and walks them instead of partitioning. */
    private static final int SHORT_RUN = 16;

    private final SamplerConfig config;
    private final int vocabularySize;
    /** Candidates as keys that order like their logits; see {@link #key}. */
    private final long[] candidates;
    /** exp(logit - max) for top-p, by candidate position: moved along with the candidates. */
    private final double[] weights;
    /** Running sums of the draw's weights, by candidate position. */
    private final double[] cumulativeWeights;
    /** The last repeatLastN accepted tokens, as a ring; entries [0, windowSize) are valid. */
    private final int[] window;
    private int windowSize;
    private int windowNext;
    /** Occurrences per token in the window; all zero between calls to {@link #applyPenalties}. */
    private final int[] counts;
    private SplittableRandom random;
    private final JsonConstraint constraint;
    /** Whether a token was sampled since the last accept: the next accepted token is generated, not prompt. */
    private boolean sampled;

    public Sampler(SamplerConfig config, int vocabularySize) {
        this(config, vocabularySize, null);
    }

    /** {@code constraint} (null for none) must be this sequence's own, for the same vocabulary. */
    public Sampler(SamplerConfig config, int vocabularySize, JsonConstraint constraint) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        if (vocabularySize <= 0) {
            throw new IllegalArgumentException("vocabularySize must be > 0, got " + vocabularySize);
        }
        this.config = config;
        this.vocabularySize = vocabularySize;
        this.candidates = new long[vocabularySize];
        this.weights = new double[vocabularySize];
        this.cumulativeWeights = new double[vocabularySize];
        this.window = new int[config.repeatLastN()];
        this.counts = new int[vocabularySize];
        this.random = new SplittableRandom(config.seed());
        if (constraint != null && constraint.vocabularySize() != vocabularySize) {
            throw new IllegalArgumentException("the constraint's vocabulary has " + constraint.vocabularySize()
                    + " tokens, the sampler's " + vocabularySize);
        }
        this.constraint = constraint;
    }

    public SamplerConfig config() {
        return config;
    }

    /**
     * Records a token for the penalties (prompt tokens too, if they should be penalised); a token
     * accepted after a sample also advances the constraint.
     */
    public void accept(int token) {
        if (token < 0 || token >= vocabularySize) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary [0, " + vocabularySize + ")");
        }
        if (constraint != null && sampled) {
            constraint.accept(token);
        }
        sampled = false;
        if (window.length == 0) {
            return;
        }
        window[windowNext] = token;
        windowNext = (windowNext + 1) % window.length;
        windowSize = Math.min(windowSize + 1, window.length);
    }

    /** Forgets the accepted tokens and restarts the generator from the seed. */
    public void reset() {
        windowSize = 0;
        windowNext = 0;
        random = new SplittableRandom(config.seed());
        sampled = false;
        if (constraint != null) {
            constraint.reset();
        }
    }

    /** The attached constraint, or null. */
    public JsonConstraint constraint() {
        return constraint;
    }

    /** Returns the next token; the constraint's mask and the penalties are applied to {@code logits} in place. */
    public int sample(float[] logits) {
        if (logits.length != vocabularySize) {
            throw new IllegalArgumentException("expected " + vocabularySize + " logits, got " + logits.length);
        }
        if (constraint != null) {
            constraint.mask(logits);
        }
        sampled = true;
        applyPenalties(logits);
        if (config.temperature() == 0f) {
            return argmax(logits);
        }
        int count = keep(logits);
        if (count == 1) {
            return candidate(0);
        }
        return draw(logits, count);
    }

    /**
     * Applies top-k, top-p and min-p: the tokens that survive become {@link #candidate}s
     * [0, count), in no particular order. Returns count (at least one).
     */
    int keep(float[] logits) {
        int topK = config.topK();
        int count = topK > 0 && topK < vocabularySize ? loadLargest(logits, topK) : loadAll(logits);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, logits[candidate(i)]);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit is -infinity: no token can be chosen");
        }
        // Top-p and min-p each keep the most likely candidates, and min-p's test
        // (p >= minP * pMax) is unchanged by top-p's renormalisation, so applying both keeps
        // whichever set is smaller, in either order. Min-p goes first because it is one cheap
        // pass that shrinks what top-p searches; top-p's total still covers all of top-k's.
        float topP = config.topP();
        double total = topP < 1f ? weighAtTemperatureOne(logits, count, max) : 0;
        if (config.minP() > 0f) {
            count = partitionAtLeast(logits, count, max + (float) Math.log(config.minP()));
        }
        if (topP < 1f) {
            count = topPCount(count, topP * total);
        }
        return count;
    }

    /** The token at a position among the candidates that {@link #keep} left. */
    int candidate(int position) {
        return index(candidates[position]);
    }

    /**
     * Repeat penalty as in CTRL and llama.cpp (positive logits divided by it, others multiplied),
     * once per distinct token in the window; then the frequency penalty times the token's count
     * and the presence penalty once, as OpenAI defines them.
     */
    void applyPenalties(float[] logits) {
        float repeat = config.repeatPenalty();
        float frequency = config.frequencyPenalty();
        float presence = config.presencePenalty();
        if (windowSize == 0 || (repeat == 1f && frequency == 0f && presence == 0f)) {
            return;
        }
        for (int i = 0; i < windowSize; i++) {
            counts[window[i]]++;
        }
        for (int i = 0; i < windowSize; i++) {
            int token = window[i];
            int count = counts[token];
            if (count == 0) {
                continue; // already penalised: a repeat within the window
            }
            counts[token] = 0;
            float logit = logits[token];
            logit = logit <= 0f ? logit * repeat : logit / repeat;
            logits[token] = logit - count * frequency - presence;
        }
    }

    /** The first index of the largest logit, as llama.cpp's greedy sampler picks on ties. */
    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 0; i < logits.length; i++) {
            checkLogit(logits[i], i);
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        if (logits[best] == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit is -infinity: no token can be chosen");
        }
        return best;
    }

    private static void checkLogit(float logit, int index) {
        if (Float.isNaN(logit) || logit == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("logit " + index + " is " + logit);
        }
    }

    /** Makes every token a candidate; returns how many. */
    private int loadAll(float[] logits) {
        for (int i = 0; i < logits.length; i++) {
            checkLogit(logits[i], i);
            candidates[i] = key(logits[i], i);
        }
        return logits.length;
    }

    /**
     * Makes the k tokens with the largest logits the candidates, in one pass over the logits: a
     * min-heap of the best k so far, which most tokens fail to enter after one float comparison.
     * A token whose logit ties the heap's smallest stays out, because its index is higher: the
     * same order as {@link #key}.
     */
    private int loadLargest(float[] logits, int k) {
        for (int i = 0; i < k; i++) {
            checkLogit(logits[i], i);
            candidates[i] = key(logits[i], i);
        }
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(i, k);
        }
        float smallest = logits[candidate(0)];
        for (int i = k; i < logits.length; i++) {
            float logit = logits[i];
            checkLogit(logit, i);
            if (logit > smallest) {
                candidates[0] = key(logit, i);
                siftDown(0, k);
                smallest = logits[candidate(0)];
            }
        }
        return k;
    }

    /**
     * A key whose signed order is the logit's order, ties broken towards the lower index: the
     * high half is the float's bits made sortable as an int, the low half the inverted index.
     */
    private static long key(float logit, int index) {
        int bits = Float.floatToRawIntBits(logit + 0f); // + 0f turns -0 into +0, which must tie with it
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return ((long) ordered << 32) | (~index & 0xffffffffL);
    }

    private static int index(long key) {
        return ~(int) key;
    }

    /** Stores exp(logit - max) for each candidate, for top-p, and returns their sum. */
    private double weighAtTemperatureOne(float[] logits, int count, float max) {
        double sum = 0;
        for (int i = 0; i < count; i++) {
            weights[i] = Math.exp(logits[candidate(i)] - max);
            sum += weights[i];
        }
        return sum;
    }

    /** Moves the candidates with a logit >= threshold to the front; returns how many (the max is one). */
    private int partitionAtLeast(float[] logits, int count, float threshold) {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (logits[candidate(i)] >= threshold) {
                swap(i, kept++);
            }
        }
        return kept;
    }

    /**
     * Moves to the front the fewest most likely candidates whose weight reaches {@code target},
     * and returns how many. A quickselect that weighs instead of counts: each partition either
     * contains the boundary above its pivot or adds its upper part's weight to the mass already
     * kept, so no more than a few passes over the candidates are needed and none is sorted
     * beyond a short final run.
     */
    private int topPCount(int count, double target) {
        double kept = 0; // weight of [0, low): candidates known to be above the boundary
        int low = 0;
        int high = count;
        while (high - low > SHORT_RUN) {
            int pivot = partitionAroundMedian(low, high);
            double above = kept;
            for (int i = low; i < pivot; i++) {
                above += weights[i];
            }
            if (above >= target) {
                high = pivot;
                continue;
            }
            above += weights[pivot];
            if (above >= target) {
                return pivot + 1;
            }
            kept = above;
            low = pivot + 1;
        }
        sortDescending(low, high);
        for (int i = low; i < high; i++) {
            kept += weights[i];
            if (kept >= target) {
                return i + 1;
            }
        }
        return high; // rounding left the walk a hair short; [0, high) is known to reach the target
    }

    /** Softmax of the first {@code count} candidates at the temperature, and a draw from it. */
    private int draw(float[] logits, int count) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, logits[candidate(i)]);
        }
        double inverseTemperature = 1.0 / config.temperature();
        double total = 0;
        for (int i = 0; i < count; i++) {
            total += Math.exp((logits[candidate(i)] - max) * inverseTemperature);
            cumulativeWeights[i] = total;
        }
        // nextDouble() * total can round up to total; capping below it keeps the walk inside
        // the candidates and away from a trailing one of weight 0.
        double u = Math.min(random.nextDouble() * total, Math.nextDown(total));
        int i = 0;
        while (u >= cumulativeWeights[i]) {
            i++;
        }
        return candidate(i);
    }

    /** Restores the min-heap over candidates [0, size) from {@code node} down. */
    private void siftDown(int node, int size) {
        long value = candidates[node];
        while (true) {
            int child = 2 * node + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && candidates[child + 1] < candidates[child]) {
                child++;
            }
            if (candidates[child] >= value) {
                break;
            }
            candidates[node] = candidates[child];
            node = child;
        }
        candidates[node] = value;
    }

    /**
     * Partitions candidates [low, high) around the median of the first, middle and last: larger
     * ones before it, smaller after (keys are distinct). Returns the pivot's position.
     */
    private int partitionAroundMedian(int low, int high) {
        int middle = (low + high) >>> 1;
        long a = candidates[low];
        long b = candidates[middle];
        long c = candidates[high - 1];
        int median = (a < b) == (b < c) ? middle : (b < a) == (a < c) ? low : high - 1;
        swap(median, high - 1);
        long pivot = candidates[high - 1];
        int store = low;
        for (int i = low; i < high - 1; i++) {
            if (candidates[i] > pivot) {
                swap(i, store++);
            }
        }
        swap(store, high - 1);
        return store;
    }

    private void sortDescending(int low, int high) {
        for (int i = low + 1; i < high; i++) {
            for (int j = i; j > low && candidates[j - 1] < candidates[j]; j--) {
                swap(j - 1, j);
            }
        }
    }

    /** Swaps two candidates, with their weights. */
    private void swap(int i, int j) {
        long candidate = candidates[i];
        candidates[i] = candidates[j];
        candidates[j] = candidate;
        double weight = weights[i];
        weights[i] = weights[j];
        weights[j] = weight;
    }
}
