package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

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
        float[] lanes = LANES.get();
        for (int r = rowFrom; r < rowTo; r++) {
            long offset = r * rowBytes;
            int v = 0;
            while (v < count) {
                if (count - v > 1) {
                    dotFour(data, offset, cols, xs, v, count, out, outStride, r, lanes);
                    v += 4;
                } else {
                    out[v * outStride + r] = dot(data, offset, xs[v].values(), xs[v].offset(), cols);
                    v++;
                }
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
                // As in dot: shift into float position, rebias by 2^112, patch inf/NaN.
                IntVector h = (IntVector) halves.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, part);
                IntVector magnitude = h.and(0x7FFF);
                IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
                IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
                VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7C00);
                finite.blend(shifted.or(0x7F800000), special)
                        .or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                        .reinterpretAsFloats()
                        .intoArray(out, o + i + part * L);
            }
        }
        for (; i < n; i++) {
            out[o + i] = ScalarReference.f16(w, offset + 2L * i);
        }
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc = FloatVector.zero(F);
        int step = S.length();
        int i = 0;
        for (int bound = n - n % step; i < bound; i += step) {
            ShortVector halves = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            for (int part = 0; part < 2; part++) {
                // Exponent and mantissa shifted into float position, times 2^112, rebias the
                // exponent (15 to 127) and normalize subnormals in one step; infinities and NaNs
                // get the all-ones float exponent instead. Several times faster than a scalar
                // Float.float16ToFloat loop or a buffer of converted values (docs/performance.md,
                // "Measurements behind the kernels").
                IntVector h = (IntVector) halves.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, part);
                IntVector magnitude = h.and(0x7FFF);
                IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
                IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
                VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7C00);
                FloatVector value = finite.blend(shifted.or(0x7F800000), special)
                        .or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                        .reinterpretAsFloats();
                acc = value.fma(FloatVector.fromArray(F, x, xOffset + i + part * L), acc);
            }
        }
        float sum = Lanes.sum(acc);
        for (; i < n; i++) {
            sum += ScalarReference.f16(w, offset + 2L * i) * x[xOffset + i];
        }
        return sum;
    }

    /** F16: each run of halves converted once, as {@link #dot} converts it; the tail element by element. */
    static void dotFour(MemorySegment w, long offset, int n, PreparedVector[] xs, int v, int count,
                        float[] out, int outStride, int row, float[] lanes) {
        PreparedVector p0 = xs[pick(v, 0, count)];
        PreparedVector p1 = xs[pick(v, 1, count)];
        PreparedVector p2 = xs[pick(v, 2, count)];
        PreparedVector p3 = xs[pick(v, 3, count)];
        float[] x0 = p0.values();
        float[] x1 = p1.values();
        float[] x2 = p2.values();
        float[] x3 = p3.values();
        int o0 = p0.offset();
        int o1 = p1.offset();
        int o2 = p2.offset();
        int o3 = p3.offset();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        FloatVector acc2 = acc0;
        FloatVector acc3 = acc0;
        int step = S.length();
        int i = 0;
        for (int bound = n - n % step; i < bound; i += step) {
            ShortVector halves = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            for (int part = 0; part < 2; part++) {
                IntVector h = (IntVector) halves.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, part);
                IntVector magnitude = h.and(0x7FFF);
                IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
                IntVector finite = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
                VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, 0x7C00);
                FloatVector value = finite.blend(shifted.or(0x7F800000), special)
                        .or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16))
                        .reinterpretAsFloats();
                int e = i + part * L;
                acc0 = value.fma(FloatVector.fromArray(F, x0, o0 + e), acc0);
                acc1 = value.fma(FloatVector.fromArray(F, x1, o1 + e), acc1);
                acc2 = value.fma(FloatVector.fromArray(F, x2, o2 + e), acc2);
                acc3 = value.fma(FloatVector.fromArray(F, x3, o3 + e), acc3);
            }
        }
        acc0.intoArray(lanes, 0);
        acc1.intoArray(lanes, L);
        acc2.intoArray(lanes, 2 * L);
        acc3.intoArray(lanes, 3 * L);
        for (int k = 0; k < 4; k++) {
            PreparedVector p = xs[pick(v, k, count)];
            float[] x = p.values();
            float sum = Lanes.sumLanes(lanes, k * L);
            for (int j = i; j < n; j++) {
                sum += ScalarReference.f16(w, offset + 2L * j) * x[p.offset() + j];
            }
            out[pick(v, k, count) * outStride + row] = sum;
        }
    }
}
