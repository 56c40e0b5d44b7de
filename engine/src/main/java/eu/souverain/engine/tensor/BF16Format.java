package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** BF16: bfloat16, the upper half of a float. */
final class BF16Format extends WeightFormat {

    static final BF16Format INSTANCE = new BF16Format();

    private BF16Format() {
    }

    @Override
    void dequantize(MemorySegment data, long offset, float[] out, int o, int count) {
        for (int i = 0; i < count; i++) {
            out[o + i] = ScalarReference.bf16(data.get(ScalarReference.SHORT_LE, offset + 2L * i));
        }
    }

    @Override
    void quantize(float[] values, ByteBuffer out) {
        for (float value : values) {
            out.putShort(Quantizer.bf16(value));
        }
    }

    @Override
    float dot(MemorySegment data, long offset, int cols, PreparedVector x) {
        return VectorDot.bf16(data, offset, x.values(), x.offset(), cols);
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                int rowFrom, int rowTo) {
        float[] values = x.values();
        int xOffset = x.offset();
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOffset + r] = VectorDot.bf16(data, r * rowBytes, values, xOffset, cols);
        }
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                int outStride, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            for (int v = 0; v < count; v++) {
                out[v * outStride + r] = VectorDot.bf16(data, r * rowBytes, xs[v].values(), xs[v].offset(), cols);
            }
        }
    }

    @Override
    void decode(MemorySegment data, long offset, int n, float[] out, int o) {
        BlockMatmul.bf16(data, offset, n, out, o);
    }
}
