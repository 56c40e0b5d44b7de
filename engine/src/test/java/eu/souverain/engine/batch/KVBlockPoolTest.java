package eu.souverain.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.model.KVBlocks;
import eu.souverain.engine.model.KVCache;
import eu.souverain.engine.model.LlamaConfig;
import eu.souverain.engine.model.LlamaModel;
import java.io.IOException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The block pool's reference counts, prefix lookups and least-recently-used eviction, under a tiny budget. */
class KVBlockPoolTest {

    private static final int B = KVBlocks.POSITIONS;
    private static LlamaConfig config;

    @BeforeAll
    static void config() throws IOException {
        try (LlamaModel model = LlamaModel.load(TestFiles.shared("models/stories260K.gguf"))) {
            config = model.config();
        }
    }

    private static int[] tokens(int first, int count) {
        return IntStream.range(first, first + count).toArray();
    }

    private static KVCache cache(KVBlockPool pool) {
        return new KVCache(pool.store(), config.contextLength());
    }

    /** Allocates and registers every whole block of {@code prompt}, as if its prefill had run. */
    private static KVCache computed(KVBlockPool pool, int[] prompt) {
        KVCache cache = cache(pool);
        int blocks = prompt.length / B;
        assertThat(pool.allocate(cache, prompt, prompt.length - 1, blocks)).isGreaterThanOrEqualTo(0);
        long hash = KVBlockPool.root();
        for (int i = 0; i < blocks; i++) {
            hash = pool.register(cache, i, prompt, B, hash);
        }
        return cache;
    }

    @Test
    void aSharedPrefixMapsTheSameBlocksAndCountsReferences() {
        KVBlockPool pool = new KVBlockPool(new KVBlocks(config, 8));
        int[] prompt = tokens(100, 3 * B + 1);
        KVCache first = computed(pool, prompt);
        KVCache second = cache(pool);
        assertThat(pool.allocate(second, prompt, prompt.length - 1, 4)).isEqualTo(3 * B);
        for (int i = 0; i < 3; i++) {
            assertThat(second.block(i)).isEqualTo(first.block(i));
        }
        assertThat(pool.used()).isEqualTo(4);
        pool.release(first);
        assertThat(pool.used()).isEqualTo(4);  // the shared blocks are still held by the second cache
        pool.release(second);
        assertThat(pool.used()).isZero();
        assertThat(pool.cachedIdle()).isEqualTo(3);
        assertThat(pool.available()).isEqualTo(8);
    }

    @Test
    void theLastTokenIsNeverReusedSoItsLogitsAreComputed() {
        KVBlockPool pool = new KVBlockPool(new KVBlocks(config, 8));
        int[] prompt = tokens(100, 2 * B);
        pool.release(computed(pool, prompt));
        KVCache again = cache(pool);
        // Both blocks are cached, but the limit leaves the last token out: one whole block and B - 1 copied positions.
        assertThat(pool.allocate(again, prompt, prompt.length - 1, 2)).isEqualTo(2 * B - 1);
        assertThat(pool.used()).isEqualTo(2);
    }

    @Test
    void aPartlyRegisteredBlockHoldsTheLongerRunOnceItsOwnerComputesIt() {
        KVBlockPool pool = new KVBlockPool(new KVBlocks(config, 8));
        int[] sequence = tokens(100, 2 * B);
        KVCache owner = cache(pool);
        assertThat(pool.allocate(owner, sequence, 4, 2)).isZero();
        long first = pool.register(owner, 0, sequence, 5, KVBlockPool.root());
        int[] later = tokens(100, 2 * B + 3);

        // Registered with 5 tokens: a later prompt copies those 5 positions.
        KVCache early = cache(pool);
        assertThat(pool.allocate(early, later, later.length - 1, 3)).isEqualTo(5);
        pool.release(early);

        // Its owner computed the block's other positions (an answer's): the whole block is now shared, and the next one.
        long whole = pool.register(owner, 0, sequence, B, KVBlockPool.root());
        assertThat(whole).isNotEqualTo(first);
        pool.register(owner, 1, sequence, B, whole);
        assertThat(pool.registered()).isEqualTo(2);
        KVCache next = cache(pool);
        assertThat(pool.allocate(next, later, later.length - 1, 3)).isEqualTo(2 * B);
        assertThat(next.block(0)).isEqualTo(owner.block(0));
        assertThat(next.block(1)).isEqualTo(owner.block(1));
    }

    @Test
    void evictionTakesTheLeastRecentlyReleasedUnreferencedBlocksOnly() {
        KVBlockPool pool = new KVBlockPool(new KVBlocks(config, 4));
        int[] a = tokens(1000, 2 * B);
        int[] b = tokens(2000, 2 * B);
        KVCache ca = computed(pool, a);
        KVCache cb = computed(pool, b);
        pool.release(ca);  // a's blocks: least recently released
        pool.release(cb);
        assertThat(pool.cachedIdle()).isEqualTo(4);

        // Holding both of b's blocks, a newcomer needing two fresh blocks can only take a's.
        KVCache holder = cache(pool);
        assertThat(pool.allocate(holder, b, b.length, 2)).isEqualTo(2 * B);
        KVCache newcomer = cache(pool);
        assertThat(pool.allocate(newcomer, tokens(3000, 2 * B), 2 * B - 1, 2)).isZero();
        assertThat(pool.available()).isZero();

        // No block is free and all are referenced: nothing is evicted, the request must wait.
        KVCache waiting = cache(pool);
        assertThat(pool.allocate(waiting, tokens(4000, B), B - 1, 1)).isEqualTo(-1);
        assertThat(waiting.blockCount()).isZero();
        assertThat(pool.used()).isEqualTo(4);

        // a was evicted; b still answers.
        pool.release(newcomer);
        KVCache a2 = cache(pool);
        assertThat(pool.allocate(a2, a, a.length - 1, 2)).isZero();
        pool.release(a2);
        pool.release(holder);
        KVCache b2 = cache(pool);
        assertThat(pool.allocate(b2, b, b.length - 1, 2)).isEqualTo(2 * B - 1);
    }

    @Test
    void aFailedAllocationLeavesThePoolAsItWas() {
        KVBlockPool pool = new KVBlockPool(new KVBlocks(config, 3));
        int[] prompt = tokens(100, 2 * B + 1);
        pool.release(computed(pool, prompt));
        assertThat(pool.cachedIdle()).isEqualTo(2);
        KVCache greedy = cache(pool);
        assertThat(pool.allocate(greedy, prompt, prompt.length - 1, 5)).isEqualTo(-1);
        assertThat(pool.cachedIdle()).isEqualTo(2);
        assertThat(pool.used()).isZero();
        assertThat(pool.registered()).isEqualTo(2);
    }

    @Test
    void theHashChainsThePreviousBlock() {
        int[] block = tokens(7, B);
        long root = KVBlockPool.root();
        assertThat(KVBlockPool.hash(root, block, 0, B)).isEqualTo(KVBlockPool.hash(root, block.clone(), 0, B));
        assertThat(KVBlockPool.hash(root, block, 0, B))
                .isNotEqualTo(KVBlockPool.hash(KVBlockPool.hash(root, block, 0, B), block, 0, B))
                .isNotEqualTo(KVBlockPool.hash(root, block, 0, B - 1));
    }
}
