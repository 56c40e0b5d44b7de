package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** Q5_K: super-blocks of 256 five-bit quants, scaled and offset per sub-block of 32. */
final class Q5_KFormat extends WeightFormat {

    static final Q5_KFormat INSTANCE = new Q5_KFormat();

    private Q5_KFormat() {
    }

    @Override
    void dequantize(MemorySegment data, long offset, float[] out, int o, int count) {
        for (int b = 0; b < count / 256; b++) {
            ScalarReference.q5K(data, offset + 176L * b, out, o + 256 * b);
        }
    }

    @Override
    void quantize(float[] values, ByteBuffer out) {
        for (int o = 0; o < values.length; o += 256) {
            KQuantWithMin.quantize(values, o, 31, out);
        }
    }

    @Override
    float dot(MemorySegment data, long offset, int cols, PreparedVector x) {
        return VectorDot.q5K(data, offset, x.values(), x.offset(), x.sums(), cols);
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                int rowFrom, int rowTo) {
        float[] values = x.values();
        int xOffset = x.offset();
        float[] sums = x.sums();
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOffset + r] = VectorDot.q5K(data, r * rowBytes, values, xOffset, sums, cols);
        }
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                int outStride, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            for (int v = 0; v < count; v++) {
                out[v * outStride + r] = VectorDot.q5K(data, r * rowBytes, xs[v].values(), xs[v].offset(), xs[v].sums(), cols);
            }
        }
    }

    @Override
    void decode(MemorySegment data, long offset, int n, float[] out, int o) {
        BlockMatmul.q5K(data, offset, n, out, o);
    }
}
