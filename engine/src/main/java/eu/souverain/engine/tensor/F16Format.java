package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** F16: IEEE half floats. */
final class F16Format extends WeightFormat {

    static final F16Format INSTANCE = new F16Format();

    private F16Format() {
    }

    @Override
    void dequantize(MemorySegment data, long offset, float[] out, int o, int count) {
        for (int i = 0; i < count; i++) {
            out[o + i] = ScalarReference.f16(data, offset + 2L * i);
        }
    }

    @Override
    void quantize(float[] values, ByteBuffer out) {
        for (float value : values) {
            out.putShort(Float.floatToFloat16(value));
        }
    }

    @Override
    float dot(MemorySegment data, long offset, int cols, PreparedVector x) {
        return VectorDot.f16(data, offset, x.values(), x.offset(), cols);
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                int rowFrom, int rowTo) {
        float[] values = x.values();
        int xOffset = x.offset();
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOffset + r] = VectorDot.f16(data, r * rowBytes, values, xOffset, cols);
        }
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                int outStride, int rowFrom, int rowTo) {
        float[] lanes = FourVectorDot.LANES.get();
        for (int r = rowFrom; r < rowTo; r++) {
            long offset = r * rowBytes;
            int v = 0;
            while (v < count) {
                if (count - v > 1) {
                    FourVectorDot.f16(data, offset, cols, xs, v, count, out, outStride, r, lanes);
                    v += 4;
                } else {
                    out[v * outStride + r] = VectorDot.f16(data, offset, xs[v].values(), xs[v].offset(), cols);
                    v++;
                }
            }
        }
    }

    @Override
    void decode(MemorySegment data, long offset, int n, float[] out, int o) {
        BlockMatmul.f16(data, offset, n, out, o);
    }
}
