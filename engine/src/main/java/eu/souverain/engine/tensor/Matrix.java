package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A row-major matrix of {@code rows} rows of {@code cols} elements stored in the layout of
 * {@code type}, usually a slice of a memory-mapped GGUF file, which the kernels of some types
 * read from a copy rearranged when the matrix is made (Q4_0: {@link Q4_0Format}). Immutable and
 * thread-safe: callers split the rows of a {@link #matmul} across threads.
 */
public final class Matrix {

    private final GGMLType type;
    private final WeightFormat format;
    private final MemorySegment data;
    private final MemorySegment kernelData;
    private final int rows;
    private final int cols;
    private final long rowBytes;

    private Matrix(GGMLType type, WeightFormat format, MemorySegment data, int rows, int cols) {
        this.type = type;
        this.format = format;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.byteSize(cols);
        this.kernelData = format.arrange(data, rows, cols);
    }

    /**
     * Wraps {@code data}, which must hold exactly {@code rows} rows of {@code cols} elements of
     * {@code type}, a type the engine has kernels for.
     */
    public static Matrix of(GGMLType type, MemorySegment data, int rows, int cols) {
        WeightFormat format = WeightFormat.of(type);
        if (format == null) {
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
        return new Matrix(type, format, data, rows, cols);
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
     * The dot product of row {@code row} with {@code x[xOffset..xOffset+cols)}, as {@link #matmul}
     * computes it. Prepares the vector on each call; repeated products with one vector should
     * prepare it once and use {@link #matmul(PreparedVector, float[], int, int, int)}.
     */
    public float dot(int row, float[] x, int xOffset) {
        checkRow(row);
        float[] out = new float[1];
        matmul(PreparedVector.of(x, xOffset, cols), out, -row, row, row + 1);
        return out[0];
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
        format.matmul(kernelData, rowBytes, cols, x, out, outOffset, rowFrom, rowTo);
    }

    /**
     * The products with {@code count} vectors at once, as a batched decode step needs them:
     * {@code out[v * outStride + r] = W[r] . xs[v]} for each vector v and each row r in
     * {@code [rowFrom, rowTo)}. Each result is bit-identical to {@link #matmul(PreparedVector,
     * float[], int, int, int)}'s for that vector alone, so a sequence decodes the same tokens
     * whatever else shares its step. A row is read from memory once for all vectors; for F16,
     * Q8_0, Q4_0, Q4_K and Q6_K each block is also decoded once for four vectors (their formats'
     * four-vector kernels; Q4_0 and Q4_K a tile of rows at a time).
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
        format.matmul(kernelData, rowBytes, cols, xs, count, out, outStride, rowFrom, rowTo);
    }

    /**
     * The product with a block of {@code tokens} vectors, vector t prepared from
     * {@code x[t * cols..]} of one array x: {@code out[t * rows + r] = dot(r, x, t * cols)} for each
     * token t and each row r in {@code [rowFrom, rowTo)}, reading each row once for all tokens.
     * {@code scratch} holds {@link BlockMatmul#scratchLength} floats for this many columns; each
     * thread needs its own. Each result is the bits of {@link #matmul(PreparedVector[], int,
     * float[], int, int, int)}'s for Q4_0, whose block kernel is that batched one; the other types
     * decode strips of rows to floats and may differ from it in the last bits.
     */
    public void matmulBlock(PreparedVector[] xs, int tokens, float[] out, int rowFrom, int rowTo, float[] scratch) {
        if (rowFrom < 0 || rowTo > rows || rowFrom > rowTo) {
            throw new IndexOutOfBoundsException("rows [" + rowFrom + ", " + rowTo + ") of a matrix of " + rows);
        }
        if (tokens < 0 || tokens > xs.length) {
            throw new IllegalArgumentException(tokens + " tokens of " + xs.length + " vectors");
        }
        if (tokens == 0) {
            return;
        }
        float[] x = xs[0].values();
        for (int t = 0; t < tokens; t++) {
            if (xs[t].values() != x || xs[t].offset() != t * cols || xs[t].length() != cols) {
                throw new IllegalArgumentException("token " + t + " of a block product must be prepared from "
                        + "elements [" + t * cols + ", " + (t + 1) * cols + ") of the first token's array");
            }
        }
        if (out.length < (long) tokens * rows || scratch.length < BlockMatmul.scratchLength(cols)) {
            throw new IllegalArgumentException("buffers too small for " + tokens + " tokens through " + this);
        }
        if (type == GGMLType.F32
                && VectorWarmUp.cold((long) tokens * rows * cols, (long) tokens * (rowTo - rowFrom) * cols)) {
            ScalarKernels.f32Block(data, rows, cols, x, tokens, out, rowFrom, rowTo);
        } else {
            format.matmulBlock(kernelData, rowBytes, rows, cols, xs, tokens, out, rowFrom, rowTo, scratch);
        }
    }

    /** Decodes row {@code row} into {@code out[outOffset..outOffset+cols)}. */
    public void dequantizeRow(int row, float[] out, int outOffset) {
        checkRow(row);
        format.dequantize(data, row * rowBytes, out, outOffset, cols);
    }

    private void checkRow(int row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " of a matrix of " + rows);
        }
    }

    @Override
    public String toString() {
        return "Matrix[" + type + ", " + rows + " x " + cols + "]";
    }
}
