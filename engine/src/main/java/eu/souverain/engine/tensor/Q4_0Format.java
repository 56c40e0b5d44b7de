package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** Q4_0: blocks of 32 four-bit quants centred on 8 and an f16 scale. */
final class Q4_0Format extends WeightFormat {

    static final Q4_0Format INSTANCE = new Q4_0Format();

    private Q4_0Format() {
    }

    @Override
    void dequantize(MemorySegment data, long offset, float[] out, int o, int count) {
        for (int b = 0; b < count / 32; b++) {
            ScalarReference.q4_0(data, offset + 18L * b, out, o + 32 * b);
        }
    }

    @Override
    void quantize(float[] values, ByteBuffer out) {
        for (int o = 0; o < values.length; o += 32) {
            Quantizer.q4_0(values, o, out);
        }
    }

    @Override
    float dot(MemorySegment data, long offset, int cols, PreparedVector x) {
        return VectorDot.q4_0(data, offset, x.values(), x.offset(), cols);
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                int rowFrom, int rowTo) {
        float[] values = x.values();
        int xOffset = x.offset();
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOffset + r] = VectorDot.q4_0(data, r * rowBytes, values, xOffset, cols);
        }
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                int outStride, int rowFrom, int rowTo) {
        float[] lanes = LANES.get();
        int r = rowFrom;
        for (; r + 1 < rowTo; r += 2) {
            long offset = r * rowBytes;
            int v = 0;
            while (v < count) {
                if (count - v > 1) {
                    FourVectorDot.q4_0TwoRows(data, offset, rowBytes, cols, xs, v, count, out, outStride, r, lanes);
                    v += 4;
                } else {
                    out[v * outStride + r] = VectorDot.q4_0(data, offset, xs[v].values(), xs[v].offset(), cols);
                    out[v * outStride + r + 1] = VectorDot.q4_0(data, offset + rowBytes, xs[v].values(), xs[v].offset(), cols);
                    v++;
                }
            }
        }
        for (; r < rowTo; r++) {
            long offset = r * rowBytes;
            int v = 0;
            while (v < count) {
                if (count - v > 1) {
                    FourVectorDot.q4_0(data, offset, cols, xs, v, count, out, outStride, r, lanes);
                    v += 4;
                } else {
                    out[v * outStride + r] = VectorDot.q4_0(data, offset, xs[v].values(), xs[v].offset(), cols);
                    v++;
                }
            }
        }
    }

    @Override
    void decode(MemorySegment data, long offset, int n, float[] out, int o) {
        BlockMatmul.q4_0(data, offset, n, out, o);
    }
}
