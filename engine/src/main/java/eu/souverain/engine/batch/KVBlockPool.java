package eu.souverain.engine.batch;

import eu.souverain.engine.model.KVBlocks;
import eu.souverain.engine.model.KVCache;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Hands out the blocks of one {@link KVBlocks} store to sequences, and keeps the prefix cache:
 * prompt blocks whose keys and values are computed are registered under their content (the hash
 * of the previous block's hash and the block's tokens), so that a later prompt starting with the
 * same tokens maps the same blocks instead of computing them again.
 *
 * <p>A block is referenced by every sequence that maps it; when the last one lets go, a
 * registered block stays cached and an unregistered one is free. Cached blocks nobody references
 * are evicted, least recently released first, only when a sequence needs a block and none is
 * free: a referenced block is never evicted.
 *
 * <p>Blocks are registered as their positions are computed, the prompt's and then the answer's,
 * so that the next turn of a conversation finds both. (Answer positions were computed by the
 * decode kernels, prompt positions by the block kernels: a prompt that reuses an answer's blocks
 * may see logits that differ in the last bits from computing them afresh, as in any server that
 * caches answers.) A registered block need not be full: the last block of a computed prompt is
 * registered with the tokens it holds, and a later prompt that shares only the first j tokens of
 * a block copies those j positions into a block of its own. A block's registered positions never
 * change: whoever owns it only writes positions past them, and registers the longer run once it
 * is computed.
 *
 * <p>Not thread-safe: the scheduler's thread alone uses it.
 */
final class KVBlockPool {

    private static final long ROOT = 0x9E3779B97F4A7C15L;

    private final KVBlocks store;
    private final int[] references;
    private final int[][] content;   // the registered tokens of each block, or null
    private final long[] parent;     // the hash of the block before a registered block
    private final long[] hash;       // of a registered full block: its own hash
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>();  // least recently released first
    private final Map<Long, List<Integer>> children = new HashMap<>();        // parent hash -> registered blocks
    private int registered;

    KVBlockPool(KVBlocks store) {
        this.store = store;
        int n = store.count();
        references = new int[n];
        content = new int[n][];
        parent = new long[n];
        hash = new long[n];
        for (int b = 0; b < n; b++) {
            free.add(b);
        }
    }

    KVBlocks store() {
        return store;
    }

    int total() {
        return references.length;
    }

    /** Blocks some sequence references. */
    int used() {
        return references.length - free.size() - evictable.size();
    }

    /** Blocks that hold a cached prefix and that no sequence references: free to evict. */
    int cachedIdle() {
        return evictable.size();
    }

    /** Blocks in the prefix cache, referenced or not. */
    int registered() {
        return registered;
    }

    /** Blocks a sequence could take now: the free ones and the evictable ones. */
    int available() {
        return free.size() + evictable.size();
    }

    /**
     * Maps onto {@code cache} (empty) the longest cached prefix of {@code prompt}, at most
     * {@code limit} tokens, then fresh blocks up to {@code blocks} in all. Returns how many
     * prompt tokens the mapped blocks already hold, or -1, leaving the cache empty and the pool
     * as it was, when the pool cannot give that many blocks now.
     */
    int allocate(KVCache cache, int[] prompt, int limit, int blocks) {
        List<Integer> shared = new ArrayList<>();
        long parentHash = ROOT;
        int partial = -1;
        int partialTokens = 0;
        while (true) {
            int from = shared.size() * KVBlocks.POSITIONS;
            int window = Math.min(KVBlocks.POSITIONS, limit - from);
            if (window <= 0 || shared.size() == blocks) {
                break;
            }
            int best = -1;
            int bestTokens = 0;
            for (int b : children.getOrDefault(parentHash, List.of())) {
                int common = commonPrefix(content[b], prompt, from, window);
                if (common > bestTokens) {
                    best = b;
                    bestTokens = common;
                }
            }
            if (bestTokens == KVBlocks.POSITIONS) {
                shared.add(best);
                parentHash = hash[best];
            } else {
                partial = best;
                partialTokens = bestTokens;
                break;
            }
        }
        int fresh = blocks - shared.size();
        for (int b : shared) {
            retain(b);
        }
        if (partial >= 0) {
            retain(partial);  // so that taking the fresh blocks cannot evict it
        }
        if (available() < fresh) {
            for (int b : shared) {
                release(b);
            }
            if (partial >= 0) {
                release(partial);
            }
            return -1;
        }
        for (int b : shared) {
            cache.append(b);
        }
        for (int i = 0; i < fresh; i++) {
            cache.append(take());
        }
        int cached = shared.size() * KVBlocks.POSITIONS;
        if (partial >= 0) {
            store.copy(partial, cache.block(shared.size()), partialTokens);
            release(partial);
            cached += partialTokens;
        }
        return cached;
    }

    /**
     * Registers block {@code index} of {@code cache}, whose positions hold the keys and values of
     * {@code tokens[index * POSITIONS ..]} for {@code count} tokens (a whole block, or the
     * computed part of the sequence's last block); {@code parentHash} is
     * {@link #hash(long, int[], int, int)} of the blocks before it. Returns the hash of this
     * block, the parent of the next. A block registered with fewer tokens (the last part of a
     * prompt, since filled by the answer) now holds the longer run; a block the cache already
     * holds under the same content, here or in a sibling, is left as it is.
     */
    long register(KVCache cache, int index, int[] tokens, int count, long parentHash) {
        int from = index * KVBlocks.POSITIONS;
        long own = hash(parentHash, tokens, from, count);
        int block = cache.block(index);
        if (content[block] != null && content[block].length >= count) {
            return own;
        }
        List<Integer> siblings = children.computeIfAbsent(parentHash, h -> new ArrayList<>());
        for (int b : siblings) {
            if (b != block && content[b].length >= count && commonPrefix(content[b], tokens, from, count) == count) {
                return own;  // the same tokens are cached already, at least as far
            }
        }
        if (content[block] == null) {
            parent[block] = parentHash;
            siblings.add(block);
            registered++;
        }
        content[block] = Arrays.copyOfRange(tokens, from, from + count);
        hash[block] = own;
        return own;
    }

    /** Gives back every block of {@code cache} and empties it. */
    void release(KVCache cache) {
        for (int i = 0; i < cache.blockCount(); i++) {
            release(cache.block(i));
        }
        cache.clear();
    }

    /** The chained hash of a block of {@code count} tokens from {@code tokens[from]} after a block hashed {@code parentHash}. */
    static long hash(long parentHash, int[] tokens, int from, int count) {
        long h = parentHash;
        for (int i = from; i < from + count; i++) {
            h = mix(h ^ tokens[i]);
        }
        return mix(h + count);
    }

    static long root() {
        return ROOT;
    }

    /** A 64-bit finalizer (SplitMix64's): each input bit flips about half the output bits. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int commonPrefix(int[] cached, int[] prompt, int from, int window) {
        int n = Math.min(cached.length, window);
        int i = 0;
        while (i < n && cached[i] == prompt[from + i]) {
            i++;
        }
        return i;
    }

    private int take() {
        Integer block = free.poll();
        if (block == null) {
            Iterator<Integer> oldest = evictable.iterator();
            block = oldest.next();
            oldest.remove();
            unregister(block);
        }
        references[block] = 1;
        return block;
    }

    private void unregister(int block) {
        List<Integer> siblings = children.get(parent[block]);
        siblings.remove(Integer.valueOf(block));
        if (siblings.isEmpty()) {
            children.remove(parent[block]);
        }
        content[block] = null;
        registered--;
    }

    private void retain(int block) {
        if (references[block]++ == 0) {
            evictable.remove(block);
        }
    }

    private void release(int block) {
        if (--references[block] > 0) {
            return;
        }
        if (content[block] != null) {
            evictable.add(block);
        } else {
            free.push(block);
        }
    }
}
