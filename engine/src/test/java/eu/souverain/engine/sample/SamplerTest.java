package eu.souverain.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SamplerTest {

    /** Temperature, top-k, top-p and min-p off: the draw is from the plain softmax. */
    private static final SamplerConfig PLAIN = new SamplerConfig(1f, 0, 1f, 0f, 1f, 64, 0f, 0f, 1234L);

    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.log(probabilities[i]);
        }
        return logits;
    }

    private static int[] histogram(Sampler sampler, float[] logits, int draws) {
        int[] counts = new int[logits.length];
        float[] scratch = new float[logits.length];
        for (int i = 0; i < draws; i++) {
            System.arraycopy(logits, 0, scratch, 0, logits.length);
            counts[sampler.sample(scratch)]++;
        }
        return counts;
    }

    private static Set<Integer> drawn(int[] counts) {
        Set<Integer> tokens = new TreeSet<>();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) {
                tokens.add(i);
            }
        }
        return tokens;
    }

    private static float[] randomLogits(Random random, int size, double scale) {
        float[] logits = new float[size];
        for (int i = 0; i < size; i++) {
            logits[i] = (float) (random.nextGaussian() * scale);
        }
        return logits;
    }

    // greedy

    @Test
    void greedyPicksTheArgmax() {
        Sampler sampler = new Sampler(SamplerConfig.greedy(), 4);

        assertThat(sampler.sample(new float[] {0.1f, 2.5f, -1f, 2.4f})).isEqualTo(1);
        assertThat(sampler.sample(new float[] {-3f, -2f, -1f, -1.5f})).isEqualTo(2);
    }

    @Test
    void greedyBreaksTiesTowardsTheLowestIndex() {
        Sampler sampler = new Sampler(SamplerConfig.greedy(), 5);

        assertThat(sampler.sample(new float[] {1f, 3f, 0f, 3f, 3f})).isEqualTo(1);
        assertThat(sampler.sample(new float[] {Float.NEGATIVE_INFINITY, 0f, -0f, 0f, -1f})).isEqualTo(1);
    }

    @Test
    void greedyDoesNotDependOnTheSeed() {
        Random random = new Random(5);
        Sampler a = new Sampler(SamplerConfig.greedy().withSeed(1), 100);
        Sampler b = new Sampler(SamplerConfig.greedy().withSeed(2), 100);
        for (int step = 0; step < 50; step++) {
            float[] logits = randomLogits(random, 100, 2);
            assertThat(a.sample(logits.clone())).isEqualTo(b.sample(logits.clone()));
        }
    }

    @ParameterizedTest
    @CsvSource({"0.1", "0.8", "1.0", "2.0", "25.0"})
    void topKOneIsGreedyAtAnyTemperature(float temperature) {
        Random random = new Random(11);
        Sampler topOne = new Sampler(PLAIN.withTopK(1).withTopP(0.9f).withMinP(0.05f).withTemperature(temperature), 1000);
        Sampler greedy = new Sampler(SamplerConfig.greedy(), 1000);
        for (int step = 0; step < 100; step++) {
            float[] logits = randomLogits(random, 1000, 1);
            if (step % 10 == 0) {
                logits[700] = logits[300] = 10f; // a tie for first place
            }
            assertThat(topOne.sample(logits.clone())).isEqualTo(greedy.sample(logits.clone()));
        }
    }

    // top-k, top-p, min-p on small known distributions

    @Test
    void topKKeepsTheKMostLikely() {
        float[] logits = logitsOf(0.1, 0.3, 0.05, 0.25, 0.2, 0.1);
        Sampler sampler = new Sampler(PLAIN.withTopK(3).withTemperature(3f), logits.length);

        assertThat(drawn(histogram(sampler, logits, 5000))).containsExactly(1, 3, 4);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "0.05; 1",       // the most likely token alone already reaches p
            "0.5;  1",       // 0.5 >= 0.5
            "0.75; 1,3",     // 0.5 + 0.3 = 0.8 is the first sum >= 0.75
            "0.85; 1,2,3",   // 0.8 + 0.15 = 0.95
            "0.99; 0,1,2,3", // only everything reaches 0.99
            "1.0;  0,1,2,3"})
    void topPKeepsTheSmallestPrefixReachingP(float topP, String expected) {
        float[] logits = logitsOf(0.05, 0.5, 0.15, 0.3);
        Sampler sampler = new Sampler(PLAIN.withTopP(topP), logits.length);

        assertThat(drawn(histogram(sampler, logits, 5000))).containsExactlyElementsOf(tokens(expected));
    }

    @Test
    void topPAfterTopKRenormalisesOverTheTopK() {
        // Top-k 2 leaves 0.5 and 0.3, which renormalise to 0.625 and 0.375; p = 0.6 keeps only the first.
        float[] logits = logitsOf(0.05, 0.5, 0.15, 0.3);
        Sampler sampler = new Sampler(PLAIN.withTopK(2).withTopP(0.6f), logits.length);

        assertThat(drawn(histogram(sampler, logits, 3000))).containsExactly(1);
        Sampler wider = new Sampler(PLAIN.withTopK(2).withTopP(0.65f), logits.length);
        assertThat(drawn(histogram(wider, logits, 3000))).containsExactly(1, 3);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "0.125; 1,2,3,4",   // keeps p >= 0.05: drops 0.04 and 0.01
            "0.6;   1,3",       // keeps p >= 0.24
            "1.0;   1",         // only the maximum
            "0.0;   0,1,2,3,4,5"})
    void minPDropsTokensBelowAFractionOfTheMaximum(float minP, String expected) {
        float[] logits = logitsOf(0.04, 0.39, 0.06, 0.3, 0.2, 0.01);
        for (int topK : new int[] {0, 5}) {
            Sampler sampler = new Sampler(PLAIN.withTopK(topK).withMinP(minP).withTemperature(2f), logits.length);
            Set<Integer> expectedTokens = tokens(expected);
            if (topK == 5) {
                expectedTokens.remove(5);
            }

            assertThat(drawn(histogram(sampler, logits, 8000))).containsExactlyElementsOf(expectedTokens);
        }
    }

    private static Set<Integer> tokens(String list) {
        Set<Integer> tokens = new TreeSet<>();
        for (String token : list.split(",")) {
            tokens.add(Integer.parseInt(token.trim()));
        }
        return tokens;
    }

    // the filters on a large vocabulary, against llama.cpp's chain applied literally

    /** Top-k, then top-p over the renormalised survivors, then min-p, each on a fully sorted list. */
    private static Set<Integer> referenceKept(float[] logits, int topK, float topP, float minP) {
        Integer[] order = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        // Float's == (not Float.compare, which orders -0 before +0) decides the ties.
        Arrays.sort(order, (a, b) -> logits[a] == logits[b] ? Integer.compare(a, b) : logits[a] > logits[b] ? -1 : 1);
        List<Integer> kept = new ArrayList<>(Arrays.asList(order));
        if (topK > 0 && topK < kept.size()) {
            kept = kept.subList(0, topK);
        }
        float max = logits[kept.get(0)];
        if (topP < 1f) {
            double total = 0;
            for (int token : kept) {
                total += Math.exp(logits[token] - max);
            }
            double mass = 0;
            int length = 0;
            while (length < kept.size()) {
                mass += Math.exp(logits[kept.get(length++)] - max) / total;
                if (mass >= topP) {
                    break;
                }
            }
            kept = kept.subList(0, length);
        }
        if (minP > 0f) {
            double threshold = max + Math.log(minP);
            kept = kept.stream().filter(token -> logits[token] >= threshold).toList();
        }
        return new TreeSet<>(kept);
    }

    private static Set<Integer> kept(Sampler sampler, float[] logits) {
        int count = sampler.keep(logits);
        Set<Integer> tokens = new TreeSet<>();
        for (int i = 0; i < count; i++) {
            tokens.add(sampler.candidate(i));
        }
        return tokens;
    }

    @ParameterizedTest(name = "topK {0}, topP {1}, minP {2}")
    @CsvSource({
            "0,   0.5,  0",
            "0,   0.3,  0.3",
            "0,   1.0,  0.9",
            "0,   0.9,  0.97",
            "250, 0.7,  0",
            "250, 0.9,  0.95",
            "40,  0.95, 0.05"})
    void filtersOnALargeVocabularyDrawOnlyWhatTheLiteralChainKeeps(int topK, float topP, float minP) {
        // 300 likely tokens, with distinct logits from 10 to 13, scattered among 20,000 unlikely ones.
        int size = 20_000;
        Random random = new Random(3);
        float[] logits = new float[size];
        for (int i = 0; i < size; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        for (int j = 0; j < 300; j++) {
            logits[random.nextInt(size)] = 10f + j * 0.01f;
        }
        Set<Integer> expected = referenceKept(logits, topK, topP, minP);
        assertThat(expected).hasSizeBetween(2, 300);

        // A high temperature flattens the survivors, so that every one of them gets drawn.
        Sampler sampler = new Sampler(PLAIN.withTopK(topK).withTopP(topP).withMinP(minP).withTemperature(100f), size);

        assertThat(drawn(histogram(sampler, logits, 20 * expected.size()))).isEqualTo(expected);
    }

    @Test
    void filtersKeepWhatTheLiteralChainKeepsOnManyRandomDistributions() {
        Random random = new Random(17);
        for (int trial = 0; trial < 400; trial++) {
            int size = 1 + random.nextInt(trial < 200 ? 60 : 5000);
            double scale = 0.1 + random.nextDouble() * 5;
            boolean coarse = random.nextBoolean(); // logits on a coarse grid: many ties
            float[] logits = new float[size];
            for (int i = 0; i < size; i++) {
                double logit = random.nextGaussian() * scale;
                logits[i] = (float) (coarse ? Math.rint(logit * 2) / 2 : logit);
                if (random.nextInt(20) == 0 && i > 0) {
                    logits[i] = Float.NEGATIVE_INFINITY;
                }
            }
            int topK = switch (random.nextInt(5)) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> 1 + random.nextInt(10);
                case 3 -> 40;
                default -> size;
            };
            float topP = random.nextBoolean() ? 1f : 0.05f + 0.95f * random.nextFloat();
            float minP = random.nextBoolean() ? 0f : random.nextFloat() * 0.5f;
            Sampler sampler = new Sampler(PLAIN.withTopK(topK).withTopP(topP).withMinP(minP), size);

            assertThat(kept(sampler, logits))
                    .as("trial %d: %d tokens, topK %d, topP %s, minP %s", trial, size, topK, topP, minP)
                    .isEqualTo(referenceKept(logits, topK, topP, minP));
        }
    }

    @Test
    void topPKeepsAPrefixWhoseMassEqualsPExactly() {
        // Equal logits weigh exactly 1 each, so p = 0.5 of 40 tokens is reached by exactly 20 of
        // them, the lowest indices on the tie; one more would be one too many.
        float[] logits = new float[40];
        Sampler half = new Sampler(PLAIN.withTopP(0.5f), logits.length);
        Sampler quarter = new Sampler(PLAIN.withTopP(0.25f), 4);

        assertThat(kept(half, logits)).isEqualTo(new TreeSet<>(IntStream.range(0, 20).boxed().toList()));
        assertThat(kept(quarter, new float[4])).containsExactly(0);
    }

    // temperature

    @ParameterizedTest
    @CsvSource({"0.5", "1.0", "1.7"})
    void drawsFollowTheSoftmaxAtTheTemperature(float temperature) {
        float[] logits = {1.0f, 0.5f, 0f, -0.5f, -1.5f, 2.0f};
        int draws = 60_000;
        Sampler sampler = new Sampler(PLAIN.withTemperature(temperature), logits.length);

        int[] counts = histogram(sampler, logits, draws);

        // chi-square with 5 degrees of freedom: 20.5 is exceeded by chance once in a thousand
        assertThat(chiSquare(counts, softmax(logits, temperature), draws)).isLessThan(20.5);
        assertThat(chiSquare(counts, softmax(logits, temperature == 1f ? 2f : 1f), draws)).isGreaterThan(200);
    }

    private static double[] softmax(float[] logits, float temperature) {
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] / temperature);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static double chiSquare(int[] counts, double[] probabilities, int draws) {
        double chi = 0;
        for (int i = 0; i < counts.length; i++) {
            double expected = probabilities[i] * draws;
            chi += (counts[i] - expected) * (counts[i] - expected) / expected;
        }
        return chi;
    }

    // penalties

    @Test
    void repeatPenaltyDividesPositiveLogitsAndMultipliesOthersOncePerDistinctToken() {
        Sampler sampler = new Sampler(SamplerConfig.greedy().withRepeatPenalty(2f), 5);
        for (int token : new int[] {0, 1, 2, 0, 0}) {
            sampler.accept(token);
        }
        float[] logits = {3f, -1f, 0f, 5f, -4f};

        sampler.applyPenalties(logits);

        assertThat(logits).containsExactly(1.5f, -2f, 0f, 5f, -4f);
    }

    @Test
    void frequencyPenaltySubtractsPerOccurrenceAndPresencePenaltyOnce() {
        Sampler sampler = new Sampler(SamplerConfig.greedy().withFrequencyPenalty(0.5f).withPresencePenalty(0.25f), 4);
        for (int token : new int[] {2, 2, 2, 1}) {
            sampler.accept(token);
        }
        float[] logits = {1f, 1f, 1f, 1f};

        sampler.applyPenalties(logits);

        assertThat(logits).containsExactly(1f, 0.25f, -0.75f, 1f);
    }

    @Test
    void repeatPenaltyComesBeforeTheSubtractions() {
        Sampler sampler = new Sampler(SamplerConfig.greedy().withRepeatPenalty(2f).withFrequencyPenalty(0.5f).withPresencePenalty(1f), 2);
        sampler.accept(0);
        sampler.accept(0);
        float[] logits = {2f, -2f};

        sampler.applyPenalties(logits);

        assertThat(logits).containsExactly(2f / 2 - 2 * 0.5f - 1f, -2f);
    }

    @Test
    void penaltiesCountOnlyTheLastRepeatLastNTokens() {
        Sampler sampler = new Sampler(SamplerConfig.greedy().withRepeatLastN(3).withFrequencyPenalty(1f), 5);
        for (int token : new int[] {0, 0, 1, 2, 3, 3}) {
            sampler.accept(token);
        }
        float[] logits = new float[5];

        sampler.applyPenalties(logits);

        assertThat(logits).containsExactly(0f, 0f, -1f, -2f, 0f);
    }

    @Test
    void aZeroWindowMeansNoPenalties() {
        Sampler sampler = new Sampler(SamplerConfig.greedy().withRepeatLastN(0).withRepeatPenalty(2f).withPresencePenalty(1f), 3);
        sampler.accept(1);
        float[] logits = {1f, 2f, 3f};

        sampler.applyPenalties(logits);

        assertThat(logits).containsExactly(1f, 2f, 3f);
    }

    @Test
    void penaltiesDoNotCompoundFromOneTokenToTheNext() {
        Sampler sampler = new Sampler(SamplerConfig.greedy().withRepeatPenalty(1.5f).withFrequencyPenalty(0.3f), 3);
        sampler.accept(1);
        sampler.accept(1);
        float[] first = {1f, 2f, 3f};
        float[] second = {1f, 2f, 3f};

        sampler.applyPenalties(first);
        sampler.applyPenalties(second);

        assertThat(second).containsExactly(first);
    }

    @Test
    void penaltiesChangeWhatGreedyPicksAndResetForgetsThem() {
        Sampler sampler = new Sampler(SamplerConfig.greedy().withRepeatPenalty(2f), 2);

        sampler.accept(0);
        assertThat(sampler.sample(new float[] {5f, 4f})).isEqualTo(1); // 5 / 2 < 4
        sampler.reset();
        assertThat(sampler.sample(new float[] {5f, 4f})).isZero();
    }

    // seeds

    private static int[] generate(Sampler sampler, long logitsSeed, int steps) {
        Random random = new Random(logitsSeed);
        int[] tokens = new int[steps];
        for (int i = 0; i < steps; i++) {
            tokens[i] = sampler.sample(randomLogits(random, 500, 1.5));
            sampler.accept(tokens[i]);
        }
        return tokens;
    }

    @Test
    void theSameSeedGivesTheSameTokensAndAnotherSeedOthers() {
        SamplerConfig config = SamplerConfig.defaults().withRepeatPenalty(1.1f).withPresencePenalty(0.2f);

        int[] first = generate(new Sampler(config.withSeed(42), 500), 9, 200);
        int[] again = generate(new Sampler(config.withSeed(42), 500), 9, 200);
        int[] other = generate(new Sampler(config.withSeed(43), 500), 9, 200);

        assertThat(again).containsExactly(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void aSeedGivesTheSameTokensOnEveryRun() {
        // Recorded once; SplittableRandom's algorithm is specified, so any JVM must reproduce it.
        int[] tokens = generate(new Sampler(SamplerConfig.defaults().withTopK(0).withMinP(0f).withSeed(2024), 500), 1, 12);

        assertThat(tokens).containsExactly(RECORDED);
    }

    private static final int[] RECORDED = {109, 91, 122, 173, 365, 183, 213, 242, 31, 224, 193, 470};

    @Test
    void resetRestartsFromTheSeed() {
        Sampler sampler = new Sampler(SamplerConfig.defaults().withRepeatPenalty(1.3f).withSeed(7), 500);
        int[] first = generate(sampler, 9, 100);
        sampler.reset();

        assertThat(generate(sampler, 9, 100)).containsExactly(first);
    }

    // errors and costs

    @Test
    void badInputsAreRefused() {
        Sampler sampler = new Sampler(SamplerConfig.defaults(), 3);

        assertThatThrownBy(() -> sampler.sample(new float[4])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 3 logits, got 4");
        assertThatThrownBy(() -> sampler.accept(3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token 3");
        assertThatThrownBy(() -> sampler.accept(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token -1");
        assertThatThrownBy(() -> sampler.sample(new float[] {0f, Float.NaN, 1f})).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logit 1 is NaN");
        float[] banned = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        assertThatThrownBy(() -> sampler.sample(banned.clone())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-infinity");
        assertThatThrownBy(() -> new Sampler(SamplerConfig.greedy(), 3).sample(banned.clone())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-infinity");
        assertThatThrownBy(() -> new Sampler(SamplerConfig.greedy(), 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabularySize");
    }

    @Test
    void bannedTokensAreNeverDrawn() {
        float[] logits = {0f, Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY};
        Sampler sampler = new Sampler(PLAIN, logits.length);

        assertThat(drawn(histogram(sampler, logits, 2000))).containsExactly(0, 2);
    }

    @ParameterizedTest
    @CsvSource({"40, 0.95, 0.05", "0, 0.95, 0", "0, 1.0, 0"})
    void samplingAllocatesNothingPerToken(int topK, float topP, float minP) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int size = 32_000;
        float[][] steps = new float[8][];
        Random random = new Random(1);
        for (int i = 0; i < steps.length; i++) {
            steps[i] = randomLogits(random, size, 2);
        }
        float[] scratch = new float[size];
        Sampler sampler = new Sampler(SamplerConfig.defaults().withTopK(topK).withTopP(topP).withMinP(minP).withRepeatPenalty(1.1f), size);
        for (int i = 0; i < 300; i++) {
            System.arraycopy(steps[i % steps.length], 0, scratch, 0, size);
            sampler.accept(sampler.sample(scratch));
        }

        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 300; i++) {
            System.arraycopy(steps[i % steps.length], 0, scratch, 0, size);
            sampler.accept(sampler.sample(scratch));
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(allocated).isLessThan(4096);
    }
}
