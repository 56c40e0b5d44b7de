package eu.souverain.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import jdk.incubator.vector.VectorSpecies;

/**
 * A format whose kernels multiply in integers, as llama.cpp's do, on its weights rearranged at
 * load into tiles of {@link #R} rows side by side, one row per 16-bit lane (Q4_0, Q4_K, Q6_K).
 *
 * <p>Each vector is quantized to 8 bits per run of 32 ({@link PreparedVector#quants()}). A run of
 * 32 weights with 4-bit quants q (0..15) times a vector run with quants a is the exact integer
 * sum of (q - 8) * a, scaled by the weights' and the run's scales. That sum fits 16 bits:
 * |q - 8| <= 8 and |a| <= 127, so it is at most 32 * 8 * 127 = 32,512. The kernels sum q * a in
 * wrapping 16-bit lanes and subtract 8 * sum(a): the difference modulo 2^16 is the true sum, which
 * the range makes the one 16-bit value it can be (Q6_K's 6-bit quants do the same over 8
 * elements). A 4-bit tile's quants for a run are its rows' 16 quant bytes (element k in the low
 * nibble of byte k, element k + 16 in the high one), two by two, as R shorts per pair of bytes.
 * The kernel broadcasts a vector's quant and multiplies it into every row's lane at once, so a
 * row's sum never crosses lanes: no horizontal reduction.
 *
 * <p>Integer sums are exact in any order, and each vector goes through the same float operations
 * in its format's one-vector and four-vector kernels, so a product is the same bits alone or
 * batched, decoded or prefilled (prompts go through the four-vector kernel too).
 */
abstract sealed class TiledFormat extends BlockFormat permits Q4_0Format, Q4_KFormat, Q6_KFormat {

    /** Shorts in one of the float kernels' vectors: each holds one element of R rows. */
    static final VectorSpecies<Short> SR = VectorSpecies.of(short.class, F.vectorShape());
    /** Rows in a tile. */
    static final int R = SR.length();
    static final VectorSpecies<Integer> IR = F.withLanes(int.class);
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    private final GGMLType type;
    private final AtomicBoolean warming = new AtomicBoolean();
    /** Whether C2 has compiled {@link #tile} and {@link #tileFour}; until then {@link #tileScalar} runs. */
    private volatile boolean compiled = VectorWarmUp.VECTORS_FROM_START;

    TiledFormat(GGMLType type) {
        super(type);
        this.type = type;
    }

    /**
     * The tiles, in memory of their own, each made from its rows' stored bytes copied at once
     * (rows past the last one zero: zero scales). The stored rows are then unloaded from memory
     * where they are mapped from the file: the kernels read only the tiles, and a mapped model
     * would otherwise take its weights' memory twice. The first matrix also starts the warm-up
     * of this format's kernels.
     */
    @Override
    final MemorySegment arrange(MemorySegment data, int rows, int cols) {
        startWarmUp();
        int rowBytes = Math.toIntExact(type.byteSize(cols));
        int tileBytes = tileBytes(cols);
        int tiles = (rows + R - 1) / R;
        MemorySegment tiled = Arena.ofAuto().allocate((long) tiles * tileBytes, 64);
        int shares = Math.min(tiles, 8 * Runtime.getRuntime().availableProcessors());
        IntStream.range(0, shares).parallel().forEach(share -> {
            byte[] stored = new byte[R * rowBytes];
            byte[] tile = new byte[tileBytes];
            for (int t = share; t < tiles; t += shares) {
                int count = Math.min(R, rows - t * R);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, (long) t * R * rowBytes, stored, 0, count * rowBytes);
                Arrays.fill(stored, count * rowBytes, stored.length, (byte) 0);
                arrangeTile(stored, rowBytes, cols, tile);
                MemorySegment.copy(tile, 0, tiled, ValueLayout.JAVA_BYTE, (long) t * tileBytes, tileBytes);
            }
        });
        if (data.isMapped()) {
            data.unload();
        }
        return tiled;
    }

    /**
     * Compiles this format's kernels on a thread of their own, once per run, while the model
     * loads (C2 takes about 1.4 s of runs to compile both). Until then the products run
     * {@link #tileScalar}, which gives the same bits: run cold, a Vector API kernel boxes every
     * vector, and the first token of a TinyLlama-shape Q4_0 model took 2 s.
     */
    private void startWarmUp() {
        if (compiled || !warming.compareAndSet(false, true)) {
            return;
        }
        Thread.ofPlatform().daemon().name("souverain-" + type + "-warm-up").start(() -> {
            int cols = 1024;
            float[] values = new float[R * cols];
            Random random = new Random(1);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            MemorySegment tiles = arrange(MemorySegment.ofArray(Quantizer.quantize(type, values)), R, cols);
            float[] x = new float[4 * cols];
            PreparedVector[] xs = new PreparedVector[4];
            for (int v = 0; v < xs.length; v++) {
                xs[v] = PreparedVector.of(x, v * cols, cols);
            }
            float[] out = new float[4 * R];
            VectorWarmUp.compile(List.of(
                    () -> tile(tiles, cols, 0, xs[0], out, 0),
                    () -> tileFour(tiles, cols, 0, xs, 0, 4, out, 0, R, 2 * R, 3 * R)));
            compiled = true;
        });
    }

    /** Bytes of one tile of a matrix of {@code cols} columns. */
    abstract int tileBytes(int cols);

    /** The tile of the R rows in {@code stored}, {@code rowBytes} apart, into {@code tile}. */
    abstract void arrangeTile(byte[] stored, int rowBytes, int cols, byte[] tile);

    /** Writes {@code value} little-endian at {@code bytes[i..i+4)}. */
    static void putFloat(byte[] bytes, int i, float value) {
        int bits = Float.floatToRawIntBits(value);
        for (int k = 0; k < 4; k++) {
            bytes[i + k] = (byte) (bits >>> 8 * k);
        }
    }

    /** Tile {@code t} of a matrix of {@code cols} columns times {@code x}: its R results to {@code out[o..o+R)}. */
    abstract void tile(MemorySegment tiles, int cols, int t, PreparedVector x, float[] out, int o);

    /**
     * Tile {@code t} times the vectors xs[v..v+3] (the last one repeated where fewer are left),
     * each weight loaded and unpacked once for the four; the k-th vector's R results go to
     * {@code out[ok..]}, the bits {@link #tile} gives that vector.
     */
    abstract void tileFour(MemorySegment tiles, int cols, int t, PreparedVector[] xs, int v, int count, float[] out,
                           int o0, int o1, int o2, int o3);

    /** {@link #tile} one row and element at a time, the same bits, for while it is not compiled. */
    abstract void tileScalar(MemorySegment tiles, int cols, int t, PreparedVector x, float[] out, int o);

    @Override
    final void matmul(MemorySegment tiles, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                      int rowFrom, int rowTo) {
        float[] lanes = LANES.get();
        boolean vectors = compiled;
        for (int t = rowFrom / R; t * R < rowTo; t++) {
            int first = t * R;
            boolean whole = first >= rowFrom && first + R <= rowTo;
            float[] into = whole ? out : lanes;
            int at = whole ? outOffset + first : 0;
            if (vectors) {
                tile(tiles, cols, t, x, into, at);
            } else {
                tileScalar(tiles, cols, t, x, into, at);
            }
            if (!whole) {
                copy(lanes, 0, out, outOffset, first, rowFrom, rowTo);
            }
        }
    }

    @Override
    final void matmul(MemorySegment tiles, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                      int outStride, int rowFrom, int rowTo) {
        if (!compiled) {
            for (int v = 0; v < count; v++) {
                matmul(tiles, rowBytes, cols, xs[v], out, v * outStride, rowFrom, rowTo);
            }
            return;
        }
        float[] lanes = LANES.get();
        for (int t = rowFrom / R; t * R < rowTo; t++) {
            int first = t * R;
            boolean whole = first >= rowFrom && first + R <= rowTo;
            float[] into = whole ? out : lanes;
            int v = 0;
            while (v < count) {
                if (count - v == 1) {
                    tile(tiles, cols, t, xs[v], into, whole ? v * outStride + first : 0);
                    if (!whole) {
                        copy(lanes, 0, out, v * outStride, first, rowFrom, rowTo);
                    }
                    v++;
                    continue;
                }
                // Each vector's results at its place in out, or the k-th's at k * R of the scratch.
                tileFour(tiles, cols, t, xs, v, count, into,
                        whole ? pick(v, 0, count) * outStride + first : 0,
                        whole ? pick(v, 1, count) * outStride + first : R,
                        whole ? pick(v, 2, count) * outStride + first : 2 * R,
                        whole ? pick(v, 3, count) * outStride + first : 3 * R);
                if (!whole) {
                    for (int k = 0; k < 4; k++) {
                        copy(lanes, k * R, out, pick(v, k, count) * outStride, first, rowFrom, rowTo);
                    }
                }
                v += 4;
            }
        }
    }

    /** A prompt's tokens go through the four-vector kernel: the integer products need no float strips. */
    @Override
    final void matmulBlock(MemorySegment tiles, long rowBytes, int rows, int cols, PreparedVector[] xs, int tokens,
                           float[] out, int rowFrom, int rowTo, float[] scratch) {
        matmul(tiles, rowBytes, cols, xs, tokens, out, rows, rowFrom, rowTo);
    }

    /** Never called: {@link #matmulBlock} multiplies in integers, without decoding strips. */
    @Override
    final void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        throw new UnsupportedOperationException(this + " block products multiply integer tiles");
    }

    /** The rows of the tile from {@code first} that fall in [rowFrom, rowTo), from {@code lanes[from..]}. */
    private static void copy(float[] lanes, int from, float[] out, int outOffset, int first, int rowFrom, int rowTo) {
        for (int r = Math.max(first, rowFrom); r < Math.min(first + R, rowTo); r++) {
            out[outOffset + r] = lanes[from + r - first];
        }
    }
}
