package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import jdk.incubator.vector.FloatVector;

/** F32: plain little-endian floats. */
final class F32Format extends WeightFormat {

    static final F32Format INSTANCE = new F32Format();

    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private F32Format() {
    }

    @Override
    void dequantize(MemorySegment data, long offset, float[] out, int o, int count) {
        for (int i = 0; i < count; i++) {
            out[o + i] = data.get(FLOAT_LE, offset + 4L * i);
        }
    }

    @Override
    void quantize(float[] values, ByteBuffer out) {
        for (float value : values) {
            out.putFloat(value);
        }
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                int rowFrom, int rowTo) {
        float[] values = x.values();
        int xOffset = x.offset();
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOffset + r] = dot(data, r * rowBytes, values, xOffset, cols);
        }
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                int outStride, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            for (int v = 0; v < count; v++) {
                out[v * outStride + r] = dot(data, r * rowBytes, xs[v].values(), xs[v].offset(), cols);
            }
        }
    }

    @Override
    void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        MemorySegment.copy(w, FLOAT_LE, offset, out, o, n);
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, w, offset + 4L * i, LE);
            acc = wv.fma(FloatVector.fromArray(F, x, xOffset + i), acc);
        }
        float sum = Lanes.sum(acc);
        for (; i < n; i++) {
            sum += w.get(FLOAT_LE, offset + 4L * i) * x[xOffset + i];
        }
        return sum;
    }
}
