package eu.souverain.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.model.Generator;
import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.KVBlocks;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.model.SyntheticModel;
import eu.souverain.engine.sample.Sampler;
import eu.souverain.engine.sample.SamplerConfig;
import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Continuous batching on the real stories260K model and on a Q4_K synthetic one. */
class BatchSchedulerTest {

    @TempDir
    static Path dir;

    private static LlamaModel stories;
    private static LlamaModel quantized;

    @BeforeAll
    static void load() throws IOException {
        Path bundled = TestFiles.shared("models/stories260K.gguf");
        stories = LlamaModel.load(bundled);
        Path q4k = dir.resolve("q4k.gguf");
        try (GGUFFile file = GGUFFile.open(bundled)) {
            SyntheticModel.write(q4k, new SyntheticModel.Shape(256, 2, 4, 2, 64, 512, 256, 10000f, 0, false, false),
                    GGMLType.Q4_K, SyntheticModel.Init.standard(5), file.metadata());
        }
        quantized = LlamaModel.load(q4k);
    }

    @AfterAll
    static void close() {
        stories.close();
        quantized.close();
    }

    private static final String[] TEXTS = {
        "Once upon a time, there was a little girl named Lily.",
        "The cat sat on the mat and looked at the big red ball.",
        "Tom and Sue went to the park to play.",
        "One day, a bird flew into the garden and sang a song.",
        "The sun was hot and the boy wanted to swim in the lake with his dog.",
        "Mom said",
        "There was a big tree near the house. Every day the children climbed it and laughed.",
        "A little fish",
    };

    private static int[] prompt(LlamaModel model, String text) {
        int[] encoded = model.tokenizer().encode(text);
        int[] prompt = new int[encoded.length + 1];
        prompt[0] = model.tokenizer().bosToken();
        System.arraycopy(encoded, 0, prompt, 1, encoded.length);
        return prompt;
    }

    private static Sampler sampler(LlamaModel model, long seed) {
        return new Sampler(SamplerConfig.defaults().withTemperature(1f).withSeed(seed), model.config().vocabularySize());
    }

    /** A submitted generation and the text it streamed. */
    private record Run(Sequence sequence, StringBuilder text) {
        String await() throws Exception {
            sequence.result().get(60, TimeUnit.SECONDS);
            return text.toString();
        }

        Generator.Result result() throws Exception {
            return sequence.result().get(60, TimeUnit.SECONDS);
        }
    }

    private static Run submit(BatchScheduler scheduler, LlamaModel model, int[] prompt, long seed, int maxTokens) {
        StringBuilder text = new StringBuilder();
        Sequence s = scheduler.submit(new SequenceRequest(prompt, sampler(model, seed), maxTokens, List.of(), null,
                text::append));
        return new Run(s, text);
    }

    private static BatchScheduler.Settings settings(int maxSequences, long kvBytes, int prefillTokens) {
        return new BatchScheduler.Settings(2, maxSequences, kvBytes, prefillTokens);
    }

    private static String alone(LlamaModel model, int[] prompt, long seed, int maxTokens) {
        try (InferenceState state = model.newState(1)) {
            StringBuilder text = new StringBuilder();
            new Generator(model, state).generate(prompt, sampler(model, seed), maxTokens, List.of(), text::append);
            return text.toString();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aSequenceAmongSevenOthersJoiningAtDifferentTimesGivesWhatItGivesAlone(boolean q4k) throws Exception {
        LlamaModel model = q4k ? quantized : stories;
        int maxTokens = 40;
        int[][] prompts = new int[8][];
        for (int i = 0; i < 8; i++) {
            prompts[i] = prompt(model, TEXTS[i]);
        }
        long mib = 1 << 20;
        try (BatchScheduler scheduler = new BatchScheduler(model, settings(8, 16 * mib, 16))) {
            String soloInScheduler = submit(scheduler, model, prompts[0], 42, maxTokens).await();

            // The others join while the first runs: each is submitted once the one before has streamed some text.
            List<Run> runs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                CountDownLatch started = new CountDownLatch(3);
                StringBuilder text = new StringBuilder();
                Sequence s = scheduler.submit(new SequenceRequest(prompts[i], sampler(model, 42 + i), maxTokens, List.of(),
                        null, piece -> {
                            text.append(piece);
                            started.countDown();
                        }));
                runs.add(new Run(s, text));
                // Three pieces, or its end if it has fewer.
                while (!started.await(10, TimeUnit.MILLISECONDS) && !s.result().isDone()) {
                    Thread.onSpinWait();
                }
            }
            for (int i = 0; i < 8; i++) {
                assertThat(runs.get(i).await()).as("sequence %d", i).isEqualTo(alone(model, prompts[i], 42 + i, maxTokens));
            }
            assertThat(runs.get(0).text().toString()).isEqualTo(soloInScheduler).isNotEmpty();
            assertThat(scheduler.kvBlocksUsed()).isZero();
        }
    }

    @Test
    void severalSequencesDecodeInOneStep() throws Exception {
        List<BatchScheduler.Step> steps = new CopyOnWriteArrayList<>();
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(8, 16 << 20, 256), steps::add)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Run> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                runs.add(submit(scheduler, stories, prompt(stories, TEXTS[i]), i, 30));
            }
            go.countDown();
            for (int i = 0; i < 4; i++) {
                assertThat(runs.get(i).await()).isEqualTo(alone(stories, prompt(stories, TEXTS[i]), i, 30));
            }
        }
        assertThat(steps.stream().mapToInt(BatchScheduler.Step::decoded).max().orElse(0)).isGreaterThan(1);
    }

    @Test
    void aSecondPromptWithTheSamePrefixComputesOnlyTheRest() throws Exception {
        int[] first = prompt(stories, TEXTS[6] + " Then they went home.");
        int[] second = prompt(stories, TEXTS[6] + " The end was happy.");
        int shared = 0;
        while (first[shared] == second[shared]) {
            shared++;
        }
        assertThat(shared).isGreaterThan(KVBlocks.POSITIONS);
        String uncached;
        try (BatchScheduler fresh = new BatchScheduler(stories, settings(4, 4 << 20, 64))) {
            Run run = submit(fresh, stories, second, 7, 30);
            uncached = run.await();
            assertThat(run.result().cachedTokens()).isZero();
        }
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, 4 << 20, 64))) {
            Run a = submit(scheduler, stories, first, 3, 30);
            a.await();
            assertThat(a.result().cachedTokens()).isZero();
            Run b = submit(scheduler, stories, second, 7, 30);
            assertThat(b.await()).isEqualTo(uncached);
            // Whole blocks are shared, the part of the next block is copied: every shared token is reused.
            assertThat(b.result().cachedTokens()).isEqualTo(shared);
            assertThat(scheduler.cachedPromptTokens()).isEqualTo(shared);
            assertThat(scheduler.promptTokens()).isEqualTo(first.length + second.length);

            // The same prompt again: all but its last token, which runs again for its logits.
            Run c = submit(scheduler, stories, second, 7, 30);
            assertThat(c.await()).isEqualTo(uncached);
            assertThat(c.result().cachedTokens()).isEqualTo(second.length - 1);
        }
    }

    @Test
    void theNextTurnOfAConversationReusesTheBlocksOfTheAnswer() throws Exception {
        int vocabulary = stories.config().vocabularySize();
        int[] question = prompt(stories, TEXTS[2]);
        int maxTokens = 40;
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, 4 << 20, 64))) {
            Generator.Result first = scheduler.submit(new SequenceRequest(question,
                    new Sampler(SamplerConfig.greedy(), vocabulary), maxTokens, List.of(), null, text -> {
                    })).result().get(60, TimeUnit.SECONDS);
            int generated = first.generatedTokens();
            assertThat(generated).isGreaterThan(KVBlocks.POSITIONS);

            // The answer's tokens, as the same greedy decoding gives them alone.
            int[] answer = new int[generated];
            try (InferenceState state = stories.newState(1)) {
                Sampler greedy = new Sampler(SamplerConfig.greedy(), vocabulary);
                float[] logits = null;
                for (int p = 0; p < question.length; p++) {
                    logits = stories.forward(state, question[p], p);
                }
                for (int i = 0; i < generated; i++) {
                    answer[i] = greedy.sample(logits);
                    greedy.accept(answer[i]);
                    logits = stories.forward(state, answer[i], question.length + i);
                }
            }
            int[] followUp = stories.tokenizer().encode(" Then they went home.");
            int[] nextTurn = new int[question.length + generated + followUp.length];
            System.arraycopy(question, 0, nextTurn, 0, question.length);
            System.arraycopy(answer, 0, nextTurn, question.length, generated);
            System.arraycopy(followUp, 0, nextTurn, question.length + generated, followUp.length);

            Generator.Result second = submit(scheduler, stories, nextTurn, 7, 10).result();
            // Every position the first sequence ran is reused: its prompt and its answer but the last token, never run.
            assertThat(second.cachedTokens()).isEqualTo(question.length + generated - 1);
        }
    }

    @Test
    void aLongPromptIsReadInChunksBetweenDecodeSteps() throws Exception {
        List<BatchScheduler.Step> steps = new CopyOnWriteArrayList<>();
        StringBuilder story = new StringBuilder();
        for (String text : TEXTS) {
            story.append(text).append(' ');
        }
        int[] longPrompt = prompt(stories, story.toString());
        assertThat(longPrompt.length).isGreaterThan(80);
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, 4 << 20, 8), steps::add)) {
            CountDownLatch decoding = new CountDownLatch(2);
            StringBuilder text = new StringBuilder();
            Sequence shortOne = scheduler.submit(new SequenceRequest(prompt(stories, "Mom said"), sampler(stories, 1),
                    150, List.of(), null, piece -> {
                        text.append(piece);
                        decoding.countDown();
                    }));
            decoding.await(20, TimeUnit.SECONDS);
            Run longOne = submit(scheduler, stories, longPrompt, 2, 10);
            assertThat(longOne.await()).isEqualTo(alone(stories, longPrompt, 2, 10));
            shortOne.result().get(60, TimeUnit.SECONDS);
            assertThat(text.toString()).isEqualTo(alone(stories, prompt(stories, "Mom said"), 1, 150));
        }
        // Some step decoded the short sequence and read at most 8 prompt tokens while the long prompt was unfinished.
        assertThat(steps).anySatisfy(step -> {
            assertThat(step.decoded()).isPositive();
            assertThat(step.prefilled()).isPositive().isLessThanOrEqualTo(8);
            assertThat(step.prefilling()).isPositive();
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 16, 64, 200})
    void howAPromptIsChunkedDoesNotChangeTheOutput(int prefillTokens) throws Exception {
        StringBuilder story = new StringBuilder();
        for (String text : TEXTS) {
            story.append(text).append(' ');
        }
        int[] longPrompt = prompt(stories, story.toString());
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(2, 4 << 20, prefillTokens))) {
            assertThat(submit(scheduler, stories, longPrompt, 11, 30).await())
                    .isEqualTo(alone(stories, longPrompt, 11, 30));
        }
    }

    @Test
    void whenBlocksRunOutRequestsWaitThenProceed() throws Exception {
        List<BatchScheduler.Step> steps = new CopyOnWriteArrayList<>();
        // Each request needs 4 blocks (up to 64 positions); the pool has 6: one runs at a time.
        long blocks = 6 * KVBlocks.bytesPerBlock(stories.config());
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, blocks, 64), steps::add)) {
            assertThat(scheduler.kvBlocksTotal()).isEqualTo(6);
            List<Run> runs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int[] p = prompt(stories, TEXTS[i]);
                runs.add(submit(scheduler, stories, p, i, 64 - p.length + 1));
            }
            for (int i = 0; i < 3; i++) {
                int[] p = prompt(stories, TEXTS[i]);
                assertThat(runs.get(i).await()).isEqualTo(alone(stories, p, i, 64 - p.length + 1));
            }
            assertThat(scheduler.kvBlocksUsed()).isZero();
        }
        assertThat(steps).allSatisfy(step -> assertThat(step.decoded() + step.prefilling()).isLessThanOrEqualTo(1));
    }

    @Test
    void aPromptThatCanNeverFitIsRefused() throws Exception {
        long blocks = 2 * KVBlocks.bytesPerBlock(stories.config());
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, blocks, 64))) {
            assertThat(scheduler.sequenceCapacity()).isEqualTo(2 * KVBlocks.POSITIONS);
            int[] tooLong = new int[2 * KVBlocks.POSITIONS];
            Arrays.fill(tooLong, 5);
            assertThatThrownBy(() -> submit(scheduler, stories, tooLong, 1, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("key/value cache");
            // One that fits runs until the cache's positions are full.
            Run run = submit(scheduler, stories, prompt(stories, "Mom said"), 1, 1000);
            run.await();
            assertThat(run.result().finish()).isEqualTo(FinishReason.MODEL_LENGTH);
            assertThat(run.result().promptTokens() + run.result().generatedTokens()).isEqualTo(2 * KVBlocks.POSITIONS + 1);
        }
    }

    @Test
    void aCancelledSequenceStopsAndFreesItsBlocks() throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, 4 << 20, 64))) {
            CountDownLatch streaming = new CountDownLatch(1);
            Sequence s = scheduler.submit(new SequenceRequest(prompt(stories, "Mom said"), sampler(stories, 1),
                    Integer.MAX_VALUE, List.of(), null, piece -> streaming.countDown()));
            streaming.await(20, TimeUnit.SECONDS);
            assertThat(scheduler.kvBlocksUsed()).isPositive();
            s.cancel();
            assertThatThrownBy(() -> s.result().get(20, TimeUnit.SECONDS))
                    .isInstanceOf(CancellationException.class);
            assertThat(scheduler.running()).isZero();
            assertThat(scheduler.kvBlocksUsed()).isZero();
        }
    }

    @Test
    void aSequencePastItsTimeoutEndsWithATimeoutException() throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, 4 << 20, 64))) {
            Sequence s = scheduler.submit(new SequenceRequest(prompt(stories, "Mom said"), sampler(stories, 1),
                    Integer.MAX_VALUE, List.of(), Duration.ofNanos(1), piece -> { }));
            assertThatThrownBy(() -> s.result().get(20, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TimeoutException.class);
            CompletableFuture<Generator.Result> next = submit(scheduler, stories, prompt(stories, "Mom said"), 1, 5)
                    .sequence().result();
            assertThat(next.get(20, TimeUnit.SECONDS).generatedTokens()).isEqualTo(5);
        }
    }

    @Test
    void closingEndsWhatIsLeftWithACancellation() throws Exception {
        BatchScheduler scheduler = new BatchScheduler(stories, settings(1, 4 << 20, 64));
        CountDownLatch streaming = new CountDownLatch(1);
        Sequence running = scheduler.submit(new SequenceRequest(prompt(stories, "Mom said"), sampler(stories, 1),
                Integer.MAX_VALUE, List.of(), null, piece -> streaming.countDown()));
        streaming.await(20, TimeUnit.SECONDS);
        Sequence waiting = submit(scheduler, stories, prompt(stories, "A little fish"), 1, 5).sequence();
        scheduler.close();
        assertThat(running.result()).isCompletedExceptionally();
        assertThat(waiting.result().isDone()).isTrue();
        assertThatThrownBy(() -> submit(scheduler, stories, prompt(stories, "Mom said"), 1, 5))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stopStringsAndTheTokenBudgetEndASequenceAsTheyEndItAlone() throws Exception {
        int[] prompt = prompt(stories, TEXTS[0]);
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, 4 << 20, 64))) {
            for (int maxTokens : new int[] {0, 1, 6, 300}) {
                for (List<String> stops : List.of(List.<String>of(), List.of(" the", "."))) {
                    StringBuilder batched = new StringBuilder();
                    Generator.Result inBatch = scheduler.submit(new SequenceRequest(prompt, sampler(stories, 9), maxTokens,
                            stops, null, batched::append)).result().get(60, TimeUnit.SECONDS);
                    StringBuilder solo = new StringBuilder();
                    Generator.Result alone;
                    try (InferenceState state = stories.newState(1)) {
                        alone = new Generator(stories, state).generate(prompt, sampler(stories, 9), maxTokens, stops,
                                solo::append);
                    }
                    String what = "max " + maxTokens + ", stops " + stops;
                    assertThat(batched.toString()).as(what).isEqualTo(solo.toString());
                    assertThat(inBatch.finish()).as(what).isEqualTo(alone.finish());
                    assertThat(inBatch.generatedTokens()).as(what).isEqualTo(alone.generatedTokens());
                }
            }
        }
    }

    /** What a sequence's text callback throws at its third piece: each kind of failure one sequence's sampling may raise. */
    private static final List<Supplier<Throwable>> EXPLOSIONS = List.of(
            () -> new IllegalStateException("no token of the vocabulary can continue the JSON document"),
            () -> new OutOfMemoryError("Java heap space"),
            StackOverflowError::new);

    @Test
    void aSequenceWhoseSamplingFailsEndsAloneWhileTheOthersGoOnUntouched() throws Exception {
        int[] first = prompt(stories, TEXTS[0]);
        int[] second = prompt(stories, TEXTS[2]);
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, 4 << 20, 64))) {
            for (Supplier<Throwable> explosion : EXPLOSIONS) {
                Run running = submit(scheduler, stories, first, 3, 60);
                AtomicInteger pieces = new AtomicInteger();
                Sequence exploding = scheduler.submit(new SequenceRequest(prompt(stories, TEXTS[1]), sampler(stories, 4),
                        60, List.of(), null, piece -> {
                            if (pieces.incrementAndGet() == 3) {
                                throw sneaky(explosion.get());
                            }
                        }, "other"));
                Run joining = submit(scheduler, stories, second, 5, 60);
                assertThatThrownBy(() -> exploding.result().get(60, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(explosion.get().getClass());
                assertThat(running.await()).isEqualTo(alone(stories, first, 3, 60));
                assertThat(joining.await()).isEqualTo(alone(stories, second, 5, 60));
                assertThat(scheduler.kvBlocksUsed()).isZero();
            }
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    @Test
    void anOwnerFloodingTheQueueGetsItsShareOfThePlacesAndAnotherOwnerGetsIn() throws Exception {
        List<String> started = new CopyOnWriteArrayList<>();
        // The flood's first pieces wait until the other owner has asked: no place may open before then.
        CountDownLatch asked = new CountDownLatch(1);
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(2, 4 << 20, 64))) {
            List<Sequence> flood = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String name = "flood" + i;
                flood.add(scheduler.submit(new SequenceRequest(prompt(stories, TEXTS[i]), sampler(stories, i), 120,
                        List.of(), null, piece -> {
                            if (!started.contains(name)) {
                                started.add(name);
                                awaitQuietly(asked);
                            }
                        }, "org-a")));
            }
            Sequence other = scheduler.submit(new SequenceRequest(prompt(stories, "Mom said"), sampler(stories, 9), 10,
                    List.of(), null, piece -> {
                        if (!started.contains("other")) {
                            started.add("other");
                        }
                    }, "org-b"));
            asked.countDown();
            assertThat(scheduler.waiting("org-b")).isLessThanOrEqualTo(1);
            other.result().get(60, TimeUnit.SECONDS);
            for (Sequence s : flood) {
                s.result().get(60, TimeUnit.SECONDS);
            }
            // The first place to open goes to the owner with none running, ahead of the flood's waiting
            // ones. When both places open in one step (both first pieces admitted together, as on a loaded
            // machine), the second goes to flood2 and its first piece may be reported first.
            assertThat(started.indexOf("other")).isLessThan(started.indexOf("flood3"));
            assertThat(started).hasSize(9);
            assertThat(scheduler.waiting("org-a")).isZero();
            assertThat(scheduler.waiting()).isZero();
        }
    }

    /** A background sequence that notes in {@code started} when its first piece comes. */
    private static Sequence background(BatchScheduler scheduler, String name, int text, int maxTokens,
                                       List<String> started) {
        return scheduler.submit(new SequenceRequest(prompt(stories, TEXTS[text]), sampler(stories, text), maxTokens,
                List.of(), null, piece -> {
                    if (!started.contains(name)) {
                        started.add(name);
                    }
                }, "org-a", true));
    }

    @Test
    void backgroundSequencesNeverTakeThePlaceKeptForInteractiveOnesWhichGetInAtOnce() throws Exception {
        List<String> started = new CopyOnWriteArrayList<>();
        AtomicInteger mostRunning = new AtomicInteger();
        BatchScheduler[] holder = new BatchScheduler[1];
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, 8 << 20, 64),
                step -> mostRunning.accumulateAndGet(holder[0] == null ? 0 : holder[0].running(), Math::max))) {
            holder[0] = scheduler;
            List<Sequence> batch = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                batch.add(background(scheduler, "background" + i, i, 150, started));
            }
            // Background ones wait beside the queue: an owner's share of it is for its interactive requests.
            assertThat(scheduler.waiting("org-a")).isZero();
            while (started.size() < 3) {
                Thread.sleep(1);
            }
            StringBuilder text = new StringBuilder();
            Sequence interactive = scheduler.submit(new SequenceRequest(prompt(stories, "Mom said"), sampler(stories, 9),
                    10, List.of(), null, piece -> {
                        if (!started.contains("interactive")) {
                            started.add("interactive");
                        }
                        text.append(piece);
                    }, "org-b"));
            interactive.result().get(60, TimeUnit.SECONDS);
            for (Sequence s : batch) {
                s.result().get(60, TimeUnit.SECONDS);
            }
            // Three of the four places went to the batch; the fourth, kept free, took the interactive one at once.
            assertThat(started.indexOf("interactive")).isEqualTo(3);
            assertThat(mostRunning.get()).isEqualTo(4);
            assertThat(started).hasSize(7);
            assertThat(scheduler.backgroundWaiting()).isZero();
        }
    }

    @Test
    void anInteractiveSequenceWaitingIsAdmittedBeforeTheBackgroundOnesThatWaitedLonger() throws Exception {
        List<String> started = new CopyOnWriteArrayList<>();
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(1, 8 << 20, 64))) {
            Sequence[] interactive = new Sequence[1];
            Sequence first = scheduler.submit(new SequenceRequest(prompt(stories, TEXTS[0]), sampler(stories, 1), 60,
                    List.of(), null, piece -> {
                        if (!started.contains("background0")) {
                            started.add("background0");
                            // Asked while the only place is taken and another background sequence waits.
                            interactive[0] = scheduler.submit(new SequenceRequest(prompt(stories, "Mom said"),
                                    sampler(stories, 9), 10, List.of(), null, p -> {
                                        if (!started.contains("interactive")) {
                                            started.add("interactive");
                                        }
                                    }, "org-b"));
                        }
                    }, "org-a", true));
            Sequence second = background(scheduler, "background1", 1, 10, started);
            first.result().get(60, TimeUnit.SECONDS);
            second.result().get(60, TimeUnit.SECONDS);
            interactive[0].result().get(60, TimeUnit.SECONDS);
            assertThat(started).containsExactly("background0", "interactive", "background1");
        }
    }

    @Test
    void whileAnInteractivePromptIsReadTheBackgroundSequencesPause() throws Exception {
        AtomicInteger backgroundPieces = new AtomicInteger();
        try (BatchScheduler scheduler = new BatchScheduler(stories, settings(4, 8 << 20, 8))) {
            List<Sequence> batch = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                batch.add(scheduler.submit(new SequenceRequest(prompt(stories, TEXTS[i]), sampler(stories, i), 200,
                        List.of(), null, piece -> backgroundPieces.incrementAndGet(), "org-a", true)));
            }
            while (backgroundPieces.get() < 6) {
                Thread.sleep(1);
            }
            // A prompt of some 160 tokens, read 8 a step: twenty steps before its first token.
            StringBuilder longText = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                longText.append(TEXTS[i]).append(' ');
            }
            int[] prompt = prompt(stories, longText.toString());
            assertThat(prompt.length).isGreaterThan(100);
            int[] before = new int[1];
            int[] atFirstToken = new int[1];
            before[0] = backgroundPieces.get();
            Sequence interactive = scheduler.submit(new SequenceRequest(prompt, sampler(stories, 9), 4, List.of(), null,
                    piece -> {
                        if (atFirstToken[0] == 0) {
                            atFirstToken[0] = backgroundPieces.get();
                        }
                    }, "org-b"));
            interactive.result().get(60, TimeUnit.SECONDS);
            for (Sequence s : batch) {
                s.result().get(60, TimeUnit.SECONDS);
            }
            // At most the step running when it was asked: one piece per background sequence, not twenty.
            assertThat(atFirstToken[0] - before[0]).isLessThanOrEqualTo(3);
            assertThat(backgroundPieces.get()).isGreaterThan(atFirstToken[0]);
        }
    }
}
