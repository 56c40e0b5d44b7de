package eu.souverain.engine.tokenizer;

import java.util.Arrays;

/**
 * The BPE merges by pair of token ids: (left, right) to (rank, merged id). An open-addressing table
 * of primitive longs, since the lookup runs for every adjacent pair of every word and a vocabulary
 * such as Llama 3's has 280,000 merges.
 */
final class MergeTable {

    private static final long EMPTY = -1;

    private final long[] keys;
    private final long[] values;
    private final int mask;

    MergeTable(int capacity) {
        int slots = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2;
        this.keys = new long[slots];
        this.values = new long[slots];
        this.mask = slots - 1;
        Arrays.fill(keys, EMPTY);
    }

    /** Keeps the first (lowest-rank) merge when a pair is listed twice. */
    void putIfAbsent(int left, int right, int rank, int merged) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) {
                return;
            }
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        values[slot] = (long) rank << 32 | merged;
    }

    /** The rank in the high and the merged id in the low 32 bits, or -1 when the pair does not merge. */
    long find(int left, int right) {
        long key = key(left, right);
        for (int slot = slot(key); keys[slot] != EMPTY; slot = (slot + 1) & mask) {
            if (keys[slot] == key) {
                return values[slot];
            }
        }
        return -1;
    }

    private static long key(int left, int right) {
        return (long) left << 32 | right;
    }

    private int slot(long key) {
        return (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> 40) & mask;
    }
}
