package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** BF16: bfloat16, the upper half of a float. */
final class BF16Format extends WeightFormat {

    static final BF16Format INSTANCE = new BF16Format();

    private BF16Format() {
    }

    @Override
    void dequantize(MemorySegment data, long offset, float[] out, int o, int count) {
        for (int i = 0; i < count; i++) {
            out[o + i] = bf16ToFloat(data.get(ScalarReference.SHORT_LE, offset + 2L * i));
        }
    }

    @Override
    void quantize(float[] values, ByteBuffer out) {
        for (float value : values) {
            out.putShort(floatToBf16(value));
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
        int step = S.length();
        int i = 0;
        for (int bound = n - n % step; i < bound; i += step) {
            ShortVector halves = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            for (int part = 0; part < 2; part++) {
                ((IntVector) halves.convertShape(VectorOperators.S2I, I, part))
                        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                        .intoArray(out, o + i + part * L);
            }
        }
        for (; i < n; i++) {
            out[o + i] = bf16ToFloat(w.get(ScalarReference.SHORT_LE, offset + 2L * i));
        }
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int step = S.length();
        int i = 0;
        for (int bound = n - n % step; i < bound; i += step) {
            ShortVector halves = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            for (int part = 0; part < 2; part++) {
                FloatVector value = ((IntVector) halves.convertShape(VectorOperators.S2I, I, part))
                        .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                acc = value.fma(FloatVector.fromArray(F, x, xOffset + i + part * L), acc);
            }
        }
        float sum = Lanes.sum(acc);
        for (; i < n; i++) {
            sum += bf16ToFloat(w.get(ScalarReference.SHORT_LE, offset + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }

    /** A bfloat16 is the upper half of a float's bits. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** The upper half of the float's bits, rounded to nearest even; NaNs stay (quiet) NaNs. */
    static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
