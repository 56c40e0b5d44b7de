package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** Q6_K: super-blocks of 256 six-bit quants, scaled per sub-block of 16. */
final class Q6_KFormat extends WeightFormat {

    static final Q6_KFormat INSTANCE = new Q6_KFormat();

    private Q6_KFormat() {
    }

    @Override
    void dequantize(MemorySegment data, long offset, float[] out, int o, int count) {
        for (int b = 0; b < count / 256; b++) {
            ScalarReference.q6K(data, offset + 210L * b, out, o + 256 * b);
        }
    }

    @Override
    void quantize(float[] values, ByteBuffer out) {
        for (int o = 0; o < values.length; o += 256) {
            Quantizer.q6K(values, o, out);
        }
    }

    @Override
    float dot(MemorySegment data, long offset, int cols, PreparedVector x) {
        return VectorDot.q6K(data, offset, x.values(), x.offset(), cols);
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                int rowFrom, int rowTo) {
        float[] values = x.values();
        int xOffset = x.offset();
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOffset + r] = VectorDot.q6K(data, r * rowBytes, values, xOffset, cols);
        }
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                int outStride, int rowFrom, int rowTo) {
        float[] lanes = LANES.get();
        for (int r = rowFrom; r < rowTo; r++) {
            long offset = r * rowBytes;
            int v = 0;
            while (v < count) {
                if (count - v > 1) {
                    FourVectorDot.q6K(data, offset, cols, xs, v, count, out, outStride, r, lanes);
                    v += 4;
                } else {
                    out[v * outStride + r] = VectorDot.q6K(data, offset, xs[v].values(), xs[v].offset(), cols);
                    v++;
                }
            }
        }
    }

    @Override
    void decode(MemorySegment data, long offset, int n, float[] out, int o) {
        BlockMatmul.q6K(data, offset, n, out, o);
    }
}
