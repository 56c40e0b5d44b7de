package eu.souverain.tools;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's memory read bandwidth, measured like STREAM: each thread sums its own contiguous
 * share of a buffer far larger than the caches, and the fastest of several passes counts. Decoding
 * a token reads every weight once the same way, so this bounds how fast decoding can be.
 */
final class ReadBandwidth {

    /** What one measurement found; bytes per second count the bytes read (10^9 per GB). */
    record Result(double bytesPerSecond, long bufferBytes, int passes) {
        double gigabytesPerSecond() {
            return bytesPerSecond / 1e9;
        }
    }

    private static final VectorSpecies<Long> SPECIES = LongVector.SPECIES_PREFERRED;
    /** Bytes one step of the summing loop reads: four vectors, summed into four accumulators. */
    private static final long STEP = 4L * SPECIES.vectorByteSize();
    private static final long MIN_BYTES = 256L << 20;
    private static final long BYTES_WHEN_CACHES_UNKNOWN = 1L << 30;
    private static final int WARM_UP_PASSES = 2;

    private ReadBandwidth() {}

    /** Four times the largest cache (at least 256 MiB), as STREAM advises; 1 GiB if the caches are unknown. */
    static long bufferBytes() {
        long largestCache = largestCacheBytes();
        return largestCache > 0 ? Math.max(MIN_BYTES, 4 * largestCache) : BYTES_WHEN_CACHES_UNKNOWN;
    }

    static Result measure(int threads, int passes) throws InterruptedException {
        if (threads < 1 || passes < 1) {
            throw new IllegalArgumentException("need at least one thread and one pass, not " + threads + " and " + passes);
        }
        long share = Math.ceilDiv(bufferBytes(), threads * STEP) * STEP;
        long size = share * threads;
        try (Arena arena = Arena.ofShared()) {
            // Allocation zeroes the buffer, so every page is really there before the first pass.
            MemorySegment buffer = arena.allocate(size, 64);
            List<Callable<Number>> shares = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long from = t * share;
                shares.add(() -> sum(buffer, from, from + share));
            }
            long nanos = FastestPass.nanos(shares, WARM_UP_PASSES, passes, "bandwidth");
            return new Result(size * 1e9 / nanos, size, passes);
        }
    }

    private static long sum(MemorySegment buffer, long from, long to) {
        LongVector a = LongVector.zero(SPECIES);
        LongVector b = a;
        LongVector c = a;
        LongVector d = a;
        long width = SPECIES.vectorByteSize();
        ByteOrder order = ByteOrder.nativeOrder();
        for (long offset = from; offset < to; offset += STEP) {
            a = a.add(LongVector.fromMemorySegment(SPECIES, buffer, offset, order));
            b = b.add(LongVector.fromMemorySegment(SPECIES, buffer, offset + width, order));
            c = c.add(LongVector.fromMemorySegment(SPECIES, buffer, offset + 2 * width, order));
            d = d.add(LongVector.fromMemorySegment(SPECIES, buffer, offset + 3 * width, order));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }

    /** The largest cache of CPU 0 as Linux describes it, or 0 where it does not. */
    private static long largestCacheBytes() {
        Path caches = Path.of("/sys/devices/system/cpu/cpu0/cache");
        if (!Files.isDirectory(caches)) {
            return 0;
        }
        try (Stream<Path> indexes = Files.list(caches)) {
            return indexes.map(index -> index.resolve("size"))
                    .filter(Files::isRegularFile)
                    .mapToLong(ReadBandwidth::cacheSize)
                    .max().orElse(0);
        } catch (IOException e) {
            return 0;
        }
    }

    /** A size such as "32768K", "1M" or "512". */
    private static long cacheSize(Path file) {
        try {
            String text = Files.readString(file).trim().toUpperCase(Locale.ROOT);
            if (text.isEmpty()) {
                return 0;
            }
            long unit = switch (text.charAt(text.length() - 1)) {
                case 'K' -> 1L << 10;
                case 'M' -> 1L << 20;
                case 'G' -> 1L << 30;
                default -> 1;
            };
            String digits = unit == 1 ? text : text.substring(0, text.length() - 1);
            return Long.parseLong(digits) * unit;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }
}
