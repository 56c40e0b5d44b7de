package eu.souverain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void everyIndexRunsOnceOnOneOfTheThreads() {
        try (Parallel parallel = new Parallel(3)) {
            for (int size : new int[] {1, 5, 6, 17, 1000, 5632}) {
                AtomicIntegerArray runs = new AtomicIntegerArray(size);
                AtomicIntegerArray shares = new AtomicIntegerArray(3);
                parallel.run(size, (share, from, to) -> {
                    shares.incrementAndGet(share);
                    for (int i = from; i < to; i++) {
                        runs.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < size; i++) {
                    assertThat(runs.get(i)).as("index %d of %d", i, size).isEqualTo(1);
                }
                if (size >= 1000) {
                    int chunks = shares.get(0) + shares.get(1) + shares.get(2);
                    assertThat(chunks).as("chunks of %d", size).isGreaterThan(3);
                }
            }
        }
    }

    @Test
    void chunksAreWholeTilesOfThirtyTwoRows() {
        try (Parallel parallel = new Parallel(2)) {
            parallel.run(5632 + 16, (share, from, to) -> {
                assertThat(from % 32).isZero();
                assertThat(to == 5632 + 16 || to % 32 == 0).as("chunk [%d, %d)", from, to).isTrue();
            });
        }
    }

    /** Chunks shrink as the range runs out, down to one tile, so that the threads end together. */
    @Test
    void chunksShrinkToOneTileAtTheEnd() {
        java.util.concurrent.ConcurrentSkipListMap<Integer, Integer> chunks = new java.util.concurrent.ConcurrentSkipListMap<>();
        try (Parallel parallel = new Parallel(2)) {
            parallel.run(5632, (share, from, to) -> chunks.put(from, to - from));
        }
        assertThat(chunks.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(5632);
        assertThat(chunks.firstEntry().getValue()).isEqualTo(5632 / 4 / 32 * 32);
        assertThat(chunks.lastEntry().getValue()).isEqualTo(32);
        int previous = Integer.MAX_VALUE;
        for (int size : chunks.values()) {
            assertThat(size).isLessThanOrEqualTo(previous);
            previous = size;
        }
    }

    @Test
    void aFailingChunkFailsTheRunWhicheverThreadRanItAndTheNextRunWorks() {
        try (Parallel parallel = new Parallel(2)) {
            for (int broken : new int[] {0, 999}) {
                assertThatThrownBy(() -> parallel.run(1000, (share, from, to) -> {
                    if (from <= broken && broken < to) {
                        throw new IllegalArgumentException("broken chunk");
                    }
                })).hasMessageContaining("broken chunk");
            }
            AtomicIntegerArray runs = new AtomicIntegerArray(1000);
            parallel.run(1000, (share, from, to) -> {
                for (int i = from; i < to; i++) {
                    runs.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 1000; i++) {
                assertThat(runs.get(i)).isEqualTo(1);
            }
        }
    }
}
