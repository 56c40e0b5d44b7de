package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A row-major matrix of {@code rows} rows of {@code cols} elements stored in the layout of
 * {@code type}, usually a slice of a memory-mapped GGUF file. Immutable and thread-safe: callers
 * split the rows of a {@link #matmul} across threads.
 */
public final class Matrix {

    private final GGMLType type;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;

    private Matrix(GGMLType type, MemorySegment data, int rows, int cols) {
        this.type = type;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.byteSize(cols);
    }

    /**
     * Wraps {@code data}, which must hold exactly {@code rows} rows of {@code cols} elements of
     * {@code type}, a type the engine has kernels for.
     */
    public static Matrix of(GGMLType type, MemorySegment data, int rows, int cols) {
        if (!type.hasKernel()) {
            throw new IllegalArgumentException("no kernel for tensor type " + type);
        }
        if (rows < 0 || cols <= 0) {
            throw new IllegalArgumentException("bad matrix shape " + rows + " x " + cols);
        }
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " rows must be a multiple of " + type.blockSize()
                    + " elements, not " + cols);
        }
        long expected = rows * type.byteSize(cols);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("a " + rows + " x " + cols + " " + type + " matrix takes "
                    + expected + " bytes, the data has " + data.byteSize());
        }
        return new Matrix(type, data, rows, cols);
    }

    public GGMLType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /**
     * The dot product of row {@code row} with {@code x[xOffset..xOffset+cols)}. Prepares the
     * vector on each call; repeated products with one vector should prepare it once and use
     * {@link #matmul(PreparedVector, float[], int, int, int)}.
     */
    public float dot(int row, float[] x, int xOffset) {
        return dot(row, PreparedVector.of(x, xOffset, cols));
    }

    private float dot(int row, PreparedVector x) {
        long offset = rowOffset(row);
        float[] values = x.values();
        int xOffset = x.offset();
        return switch (type) {
            case F32 -> VectorDot.f32(data, offset, values, xOffset, cols);
            case F16 -> VectorDot.f16(data, offset, values, xOffset, cols);
            case BF16 -> VectorDot.bf16(data, offset, values, xOffset, cols);
            case Q8_0 -> VectorDot.q8_0(data, offset, values, xOffset, cols);
            case Q4_0 -> VectorDot.q4_0(data, offset, values, xOffset, cols);
            case Q4_K -> VectorDot.q4K(data, offset, values, xOffset, cols);
            case Q5_K -> VectorDot.q5K(data, offset, values, xOffset, x.sums(), cols);
            case Q6_K -> VectorDot.q6K(data, offset, values, xOffset, cols);
            default -> throw new IllegalStateException("no kernel for tensor type " + type);
        };
    }

    /** {@code out[outOffset + r] = dot(r, x, xOffset)} for each row r in {@code [rowFrom, rowTo)}. */
    public void matmul(float[] x, int xOffset, float[] out, int outOffset, int rowFrom, int rowTo) {
        matmul(PreparedVector.of(x, xOffset, cols), out, outOffset, rowFrom, rowTo);
    }

    /** {@code out[outOffset + r] = W[r] . x} for each row r in {@code [rowFrom, rowTo)}. */
    public void matmul(PreparedVector x, float[] out, int outOffset, int rowFrom, int rowTo) {
        if (x.length() != cols) {
            throw new IllegalArgumentException("a vector of " + x.length() + " elements times a matrix of "
                    + cols + " columns");
        }
        if (rowFrom < 0 || rowTo > rows || rowFrom > rowTo) {
            throw new IndexOutOfBoundsException("rows [" + rowFrom + ", " + rowTo + ") of a matrix of " + rows);
        }
        if (type == GGMLType.F32 && VectorWarmUp.cold((long) rows * cols, (long) (rowTo - rowFrom) * cols)) {
            ScalarKernels.f32Rows(data, cols, x.values(), x.offset(), out, outOffset, rowFrom, rowTo);
            return;
        }
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOffset + r] = dot(r, x);
        }
    }

    /**
     * The products with {@code count} vectors at once, as a batched decode step needs them:
     * {@code out[v * outStride + r] = W[r] . xs[v]} for each vector v and each row r in
     * {@code [rowFrom, rowTo)}. Each result is bit-identical to {@link #matmul(PreparedVector,
     * float[], int, int, int)}'s for that vector alone, so a sequence decodes the same tokens
     * whatever else shares its step. A row is read from memory once for all vectors; for F16,
     * Q8_0, Q4_0, Q4_K and Q6_K each block is also decoded once for four vectors ({@link FourVectorDot}),
     * and Q4_0 rows go by pairs, each vector loaded once for both.
     */
    public void matmul(PreparedVector[] xs, int count, float[] out, int outStride, int rowFrom, int rowTo) {
        if (count < 0 || count > xs.length) {
            throw new IllegalArgumentException(count + " vectors of " + xs.length);
        }
        for (int v = 0; v < count; v++) {
            if (xs[v].length() != cols) {
                throw new IllegalArgumentException("a vector of " + xs[v].length() + " elements times a matrix of "
                        + cols + " columns");
            }
        }
        if (rowFrom < 0 || rowTo > rows || rowFrom > rowTo) {
            throw new IndexOutOfBoundsException("rows [" + rowFrom + ", " + rowTo + ") of a matrix of " + rows);
        }
        if (count > 0 && out.length < (long) (count - 1) * outStride + rows) {
            throw new IllegalArgumentException("an output of " + out.length + " floats for " + count
                    + " vectors of " + rows + " rows with stride " + outStride);
        }
        if (type == GGMLType.F32
                && VectorWarmUp.cold((long) count * rows * cols, (long) count * (rowTo - rowFrom) * cols)) {
            for (int v = 0; v < count; v++) {
                ScalarKernels.f32Rows(data, cols, xs[v].values(), xs[v].offset(), out, v * outStride, rowFrom, rowTo);
            }
            return;
        }
        boolean four = switch (type) {
            case F16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
        float[] lanes = four ? FourVectorDot.LANES.get() : null;
        int r = rowFrom;
        if (type == GGMLType.Q4_0) {
            for (; r + 1 < rowTo; r += 2) {
                int v = 0;
                while (v < count) {
                    if (count - v > 1) {
                        FourVectorDot.q4_0TwoRows(data, rowOffset(r), rowBytes, cols, xs, v, count, out, outStride, r,
                                lanes);
                        v += 4;
                    } else {
                        out[v * outStride + r] = dot(r, xs[v]);
                        out[v * outStride + r + 1] = dot(r + 1, xs[v]);
                        v++;
                    }
                }
            }
        }
        for (; r < rowTo; r++) {
            int v = 0;
            while (v < count) {
                if (four && count - v > 1) {
                    dotFour(r, xs, v, count, out, outStride, lanes);
                    v += 4;
                } else {
                    out[v * outStride + r] = dot(r, xs[v]);
                    v++;
                }
            }
        }
    }

    /** Row {@code row} times {@code xs[v..v+3]} (the last repeated where fewer are left), decoded once. */
    private void dotFour(int row, PreparedVector[] xs, int v, int count, float[] out, int outStride, float[] lanes) {
        long offset = rowOffset(row);
        switch (type) {
            case F16 -> FourVectorDot.f16(data, offset, cols, xs, v, count, out, outStride, row, lanes);
            case Q8_0 -> FourVectorDot.q8_0(data, offset, cols, xs, v, count, out, outStride, row, lanes);
            case Q4_0 -> FourVectorDot.q4_0(data, offset, cols, xs, v, count, out, outStride, row, lanes);
            case Q4_K -> FourVectorDot.q4K(data, offset, cols, xs, v, count, out, outStride, row, lanes);
            case Q6_K -> FourVectorDot.q6K(data, offset, cols, xs, v, count, out, outStride, row, lanes);
            default -> throw new IllegalStateException("no four-vector kernel for tensor type " + type);
        }
    }

    /**
     * The product with a block of {@code tokens} vectors: {@code out[t * rows + r] = dot(r, x, t * cols)}
     * for each token t and each row r in {@code [rowFrom, rowTo)}, reading each row once for all
     * tokens. {@code scratch} holds {@link BlockMatmul#scratchLength} floats for this many columns;
     * each thread needs its own.
     */
    public void matmulBlock(float[] x, int tokens, float[] out, int rowFrom, int rowTo, float[] scratch) {
        if (rowFrom < 0 || rowTo > rows || rowFrom > rowTo) {
            throw new IndexOutOfBoundsException("rows [" + rowFrom + ", " + rowTo + ") of a matrix of " + rows);
        }
        if (x.length < (long) tokens * cols || out.length < (long) tokens * rows
                || scratch.length < BlockMatmul.scratchLength(cols)) {
            throw new IllegalArgumentException("buffers too small for " + tokens + " tokens through " + this);
        }
        if (type == GGMLType.F32
                && VectorWarmUp.cold((long) tokens * rows * cols, (long) tokens * (rowTo - rowFrom) * cols)) {
            ScalarKernels.f32Block(data, rows, cols, x, tokens, out, rowFrom, rowTo);
        } else {
            BlockMatmul.multiply(type, data, rows, cols, x, tokens, out, rowFrom, rowTo, scratch);
        }
    }

    /** Decodes row {@code row} into {@code out[outOffset..outOffset+cols)}. */
    public void dequantizeRow(int row, float[] out, int outOffset) {
        ScalarReference.dequantize(type, data, rowOffset(row), out, outOffset, cols);
    }

    private long rowOffset(int row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " of a matrix of " + rows);
        }
        return row * rowBytes;
    }

    @Override
    public String toString() {
        return "Matrix[" + type + ", " + rows + " x " + cols + "]";
    }
}
