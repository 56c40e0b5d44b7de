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
 */
public final class Sampler {

    /** How many candidates the top-p walk sorts first, when top-k leaves the whole vocabulary. */
    private static final int FIRST_SORTED_CHUNK = 64;

    private final SamplerConfig config;
    private final int vocabularySize;
    /** Candidates as keys that order like their logits; see {@link #key}. */
    private final long[] candidates;
    private final double[] weights;
    /** The last repeatLastN accepted tokens, as a ring; entries [0, windowSize) are valid. */
    private final int[] window;
    private int windowSize;
    private int windowNext;
    /** Occurrences per token in the window; all zero between calls to {@link #applyPenalties}. */
    private final int[] counts;
    private SplittableRandom random;

    public Sampler(SamplerConfig config, int vocabularySize) {
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
        this.window = new int[config.repeatLastN()];
        this.counts = new int[vocabularySize];
        this.random = new SplittableRandom(config.seed());
    }

    public SamplerConfig config() {
        return config;
    }

    /** Records a token for the penalties (prompt tokens too, if they should be penalised). */
    public void accept(int token) {
        if (token < 0 || token >= vocabularySize) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary [0, " + vocabularySize + ")");
        }
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
    }

    /** Returns the next token; the penalties are applied to {@code logits} in place. */
    public int sample(float[] logits) {
        if (logits.length != vocabularySize) {
            throw new IllegalArgumentException("expected " + vocabularySize + " logits, got " + logits.length);
        }
        applyPenalties(logits);
        if (config.temperature() == 0f) {
            return argmax(logits);
        }

        float max = loadCandidates(logits);
        int count = vocabularySize;
        int sorted = 0;
        int topK = config.topK();
        if (topK > 0 && topK < count) {
            selectLargest(0, count, topK);
            sortDescending(0, topK);
            count = topK;
            sorted = topK;
        }

        // top-p and min-p each keep a prefix of the candidates sorted by probability, and min-p's
        // test (p >= minP * pMax) survives top-p's renormalisation, so applying both keeps the
        // shorter prefix. Min-p goes first here because it is cheap and shrinks what top-p sorts;
        // top-p's total still has to cover every candidate top-k left.
        float topP = config.topP();
        double total = topP < 1f ? sumExp(logits, count, max) : 0;
        if (config.minP() > 0f) {
            float threshold = max + (float) Math.log(config.minP());
            count = sorted == count ? keptPrefix(logits, count, threshold) : partitionAtLeast(logits, count, threshold);
            sorted = Math.min(sorted, count);
        }
        if (topP < 1f) {
            count = topPPrefix(logits, count, sorted, max, topP * total);
        }
        if (count == 1) {
            return index(candidates[0]);
        }
        return draw(logits, count, max);
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

    /** Fills the candidates with the whole vocabulary and returns the largest logit. */
    private float loadCandidates(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            float logit = logits[i];
            checkLogit(logit, i);
            candidates[i] = key(logit, i);
            max = Math.max(max, logit);
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit is -infinity: no token can be chosen");
        }
        return max;
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

    private double sumExp(float[] logits, int count, float max) {
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += Math.exp(logits[index(candidates[i])] - max);
        }
        return sum;
    }

    /** For sorted candidates: how many have a logit >= threshold (at least one). */
    private int keptPrefix(float[] logits, int count, float threshold) {
        int kept = 1;
        while (kept < count && logits[index(candidates[kept])] >= threshold) {
            kept++;
        }
        return kept;
    }

    /** Moves the candidates with a logit >= threshold to the front; returns how many (the max is one). */
    private int partitionAtLeast(float[] logits, int count, float threshold) {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            long candidate = candidates[i];
            if (logits[index(candidate)] >= threshold) {
                candidates[i] = candidates[kept];
                candidates[kept++] = candidate;
            }
        }
        return kept;
    }

    /**
     * The length of the shortest prefix, by descending probability, whose probability mass
     * reaches {@code target}. Candidates [0, sorted) are already in order; the rest are sorted
     * in growing chunks only as far as the walk needs, so a peaked distribution over a large
     * vocabulary never gets fully sorted.
     */
    private int topPPrefix(float[] logits, int count, int sorted, float max, double target) {
        double mass = 0;
        int i = 0;
        while (i < count) {
            if (i == sorted) {
                int chunk = Math.min(Math.max(FIRST_SORTED_CHUNK, sorted), count - sorted);
                selectLargest(sorted, count, chunk);
                sortDescending(sorted, sorted + chunk);
                sorted += chunk;
            }
            mass += Math.exp(logits[index(candidates[i])] - max);
            i++;
            if (mass >= target) {
                break;
            }
        }
        return i;
    }

    /** Softmax of the first {@code count} candidates at the temperature, and a draw from it. */
    private int draw(float[] logits, int count, float max) {
        double inverseTemperature = 1.0 / config.temperature();
        double total = 0;
        for (int i = 0; i < count; i++) {
            total += Math.exp((logits[index(candidates[i])] - max) * inverseTemperature);
            weights[i] = total;
        }
        // nextDouble() * total can round up to total; capping below it keeps the walk inside
        // the candidates and away from a trailing one of weight 0.
        double u = Math.min(random.nextDouble() * total, Math.nextDown(total));
        int i = 0;
        while (u >= weights[i]) {
            i++;
        }
        return index(candidates[i]);
    }

    /**
     * Rearranges candidates [from, to) so that the k largest come first, in [from, from + k):
     * a min-heap of the best k so far, which most candidates fail to enter after one comparison.
     */
    private void selectLargest(int from, int to, int k) {
        if (k >= to - from) {
            return;
        }
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(from, i, k);
        }
        for (int i = from + k; i < to; i++) {
            long candidate = candidates[i];
            if (candidate > candidates[from]) {
                candidates[i] = candidates[from];
                candidates[from] = candidate;
                siftDown(from, 0, k);
            }
        }
    }

    /** Heapsort of [from, to) into descending order, by repeatedly moving the min-heap's root to the end. */
    private void sortDescending(int from, int to) {
        int size = to - from;
        for (int i = size / 2 - 1; i >= 0; i--) {
            siftDown(from, i, size);
        }
        for (int end = size - 1; end > 0; end--) {
            long smallest = candidates[from];
            candidates[from] = candidates[from + end];
            candidates[from + end] = smallest;
            siftDown(from, 0, end);
        }
    }

    /** Restores the min-heap of {@code size} entries starting at {@code base}, from node {@code node} down. */
    private void siftDown(int base, int node, int size) {
        long value = candidates[base + node];
        while (true) {
            int child = 2 * node + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && candidates[base + child + 1] < candidates[base + child]) {
                child++;
            }
            if (candidates[base + child] >= value) {
                break;
            }
            candidates[base + node] = candidates[base + child];
            node = child;
        }
        candidates[base + node] = value;
    }
}
