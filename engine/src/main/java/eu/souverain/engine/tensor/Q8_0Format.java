package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Q8_0: blocks of 32 signed bytes and an f16 scale. */
final class Q8_0Format extends BlockFormat {

    static final Q8_0Format INSTANCE = new Q8_0Format();

    private Q8_0Format() {
        super(GGMLType.Q8_0);
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
        for (int i = 0; i < n; i += 32) {
            long block = offset + (long) (i / 32) * 34;
            float d = ScalarReference.f16(w, block);
            for (int c = 0; c < 32; c += 16) {
                ByteVector q = ByteVector.fromMemorySegment(B128, w, block + 2 + c, LE);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d).intoArray(out, o + i + c + p * L);
                }
            }
        }
    }

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, int n) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = acc0;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long block = offset + 34L * b;
            FloatVector d = FloatVector.broadcast(F, ScalarReference.f16(w, block));
            ByteVector q0 = ByteVector.fromMemorySegment(B128, w, block + 2, LE);
            ByteVector q1 = ByteVector.fromMemorySegment(B128, w, block + 18, LE);
            for (int p = 0; p < PARTS; p++) {
                int xi = xOffset + 32 * b + p * L;
                acc0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, p)).mul(d)
                        .fma(FloatVector.fromArray(F, x, xi), acc0);
                acc1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).mul(d)
                        .fma(FloatVector.fromArray(F, x, xi + 16), acc1);
            }
        }
        return Lanes.sum(acc0.add(acc1));
    }

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
        // Accumulator a of vector k is acc<a><k>: the two of the single-vector kernel, for each vector.
        FloatVector acc00 = FloatVector.zero(F);
        FloatVector acc10 = acc00;
        FloatVector acc01 = acc00;
        FloatVector acc11 = acc00;
        FloatVector acc02 = acc00;
        FloatVector acc12 = acc00;
        FloatVector acc03 = acc00;
        FloatVector acc13 = acc00;
        for (int b = 0, blocks = n / 32; b < blocks; b++) {
            long block = offset + 34L * b;
            FloatVector d = FloatVector.broadcast(F, ScalarReference.f16(w, block));
            ByteVector q0 = ByteVector.fromMemorySegment(B128, w, block + 2, LE);
            ByteVector q1 = ByteVector.fromMemorySegment(B128, w, block + 18, LE);
            for (int p = 0; p < PARTS; p++) {
                int e = 32 * b + p * L;
                FloatVector low = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, p)).mul(d);
                FloatVector high = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).mul(d);
                acc00 = low.fma(FloatVector.fromArray(F, x0, o0 + e), acc00);
                acc10 = high.fma(FloatVector.fromArray(F, x0, o0 + e + 16), acc10);
                acc01 = low.fma(FloatVector.fromArray(F, x1, o1 + e), acc01);
                acc11 = high.fma(FloatVector.fromArray(F, x1, o1 + e + 16), acc11);
                acc02 = low.fma(FloatVector.fromArray(F, x2, o2 + e), acc02);
                acc12 = high.fma(FloatVector.fromArray(F, x2, o2 + e + 16), acc12);
                acc03 = low.fma(FloatVector.fromArray(F, x3, o3 + e), acc03);
                acc13 = high.fma(FloatVector.fromArray(F, x3, o3 + e + 16), acc13);
            }
        }
        acc00.add(acc10).intoArray(lanes, 0);
        acc01.add(acc11).intoArray(lanes, L);
        acc02.add(acc12).intoArray(lanes, 2 * L);
        acc03.add(acc13).intoArray(lanes, 3 * L);
        write(lanes, v, count, out, outStride, row);
    }

    /** block_q8_0: f16 d, i8 qs[32]; x = qs * d. */
    @Override
    void dequantizeBlock(MemorySegment data, long block, float[] out, int o) {
        float d = ScalarReference.f16(data, block);
        for (int i = 0; i < 32; i++) {
            out[o + i] = data.get(ValueLayout.JAVA_BYTE, block + 2 + i) * d;
        }
    }

    /** Scale max|x| / 127, quants round(x / scale). */
    @Override
    void quantizeBlock(float[] v, int o, ByteBuffer out) {
        float absMax = 0;
        for (int i = 0; i < 32; i++) {
            absMax = Math.max(absMax, Math.abs(v[o + i]));
        }
        float d = Quantizer.f16Round(absMax / 127);
        float inverse = d == 0 ? 0 : 1 / d;
        out.putShort(Float.floatToFloat16(d));
        for (int i = 0; i < 32; i++) {
            out.put((byte) Quantizer.clamp(Math.round(v[o + i] * inverse), -127, 127));
        }
    }
}
