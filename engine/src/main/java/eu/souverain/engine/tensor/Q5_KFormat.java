package eu.souverain.engine.tensor;

import static eu.souverain.engine.tensor.KQuantWithMin.highMins;
import static eu.souverain.engine.tensor.KQuantWithMin.highScales;
import static eu.souverain.engine.tensor.KQuantWithMin.scaleAndMin;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** Q5_K: super-blocks of 256 five-bit quants, scaled and offset per sub-block of 32. */
final class Q5_KFormat extends BlockFormat {

    static final Q5_KFormat INSTANCE = new Q5_KFormat();

    private Q5_KFormat() {
        super(GGMLType.Q5_K);
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector x, float[] out, int outOffset,
                int rowFrom, int rowTo) {
        float[] values = x.values();
        int xOffset = x.offset();
        float[] sums = x.sums();
        for (int r = rowFrom; r < rowTo; r++) {
            out[outOffset + r] = dot(data, r * rowBytes, values, xOffset, sums, cols);
        }
    }

    @Override
    void matmul(MemorySegment data, long rowBytes, int cols, PreparedVector[] xs, int count, float[] out,
                int outStride, int rowFrom, int rowTo) {
        for (int r = rowFrom; r < rowTo; r++) {
            for (int v = 0; v < count; v++) {
                out[v * outStride + r] = dot(data, r * rowBytes, xs[v].values(), xs[v].offset(), xs[v].sums(), cols);
            }
        }
    }

    @Override
    void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 176;
            float d = ScalarReference.f16(w, block);
            float dmin = ScalarReference.f16(w, block + 2);
            for (int j = 0; j < 8; j++) {
                int scaleAndMin = scaleAndMin(w, block + 4, j);
                FloatVector scale = FloatVector.broadcast(F, d * (scaleAndMin & 0xFF));
                FloatVector negMin = FloatVector.broadcast(F, -dmin * (scaleAndMin >>> 8));
                for (int c = 0; c < 32; c += 16) {
                    IntVector low = IntVector.fromMemorySegment(I128, w, block + 48 + 32 * (j / 2) + c, LE)
                            .lanewise(VectorOperators.LSHR, 4 * (j % 2)).and(0x0F0F0F0F);
                    IntVector fifth = IntVector.fromMemorySegment(I128, w, block + 16 + c, LE)
                            .lanewise(VectorOperators.LSHR, j).and(0x01010101).lanewise(VectorOperators.LSHL, 4);
                    ByteVector q = low.or(fifth).reinterpretAsBytes();
                    for (int p = 0; p < PARTS; p++) {
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).fma(scale, negMin)
                                .intoArray(out, o + i + 32 * j + c + p * L);
                    }
                }
            }
        }
    }

    /*
     * The K-quants compute sum_j d*scale_j * (q . x)_j - dmin * sum_j min_j * sum(x)_j. Q5_K,
     * written with two sub-blocks per run as Q4_K is, was faster with 16 lanes but ran out of
     * C2's inlining node budget with 8 (its final sum's vector boxed, slower than before): it
     * takes one sub-block at a time, reloading the runs, and takes its minimums from the
     * prepared sums.
     */

    static float dot(MemorySegment w, long offset, float[] x, int xOffset, float[] sums, int n) {
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int i = 0; i < n; i += 256) {
            long block = offset + (long) (i / 256) * 176;
            // The 16 header bytes in two reads: every segment access C2 inlines spends its
            // node budget, and running out of it left the final sum's vector boxed.
            long head = w.get(LONG_LE, block);
            long tail = w.get(LONG_LE, block + 8);
            float d = Float.float16ToFloat((short) head);
            float dmin = Float.float16ToFloat((short) (head >>> 16));
            int bytes0to3 = (int) (head >>> 32);
            int bytes4to7 = (int) tail;
            int bytes8to11 = (int) (tail >>> 32);
            int lowScales = bytes0to3 & 0x3F3F3F3F;
            int highScales = highScales(bytes0to3, bytes8to11);
            mins += dmin * minTerm(bytes4to7 & 0x3F3F3F3F, highMins(bytes4to7, bytes8to11), sums, i / 32);
            // Sub-block j = 2p + s: nibble s of qs[32p..32p+31], fifth bit (16) in bit j of qh[l].
            for (int j = 0; j < 8; j++) {
                int p = j / 2;
                int s = j % 2;
                int scale = ((p < 2 ? lowScales : highScales) >>> 8 * (j % 4)) & 0xFF;
                FloatVector sum = FloatVector.zero(F);
                for (int c = 0; c < 32; c += 16) {
                    IntVector qs = IntVector.fromMemorySegment(I128, w, block + 48 + 32 * p + c, LE);
                    IntVector qh = IntVector.fromMemorySegment(I128, w, block + 16 + c, LE);
                    ByteVector q = qs.lanewise(VectorOperators.LSHR, 4 * s).and(0x0F0F0F0F)
                            .or(qh.lanewise(VectorOperators.LSHR, j).lanewise(VectorOperators.LSHL, 4).and(0x10101010))
                            .reinterpretAsBytes();
                    for (int part = 0; part < PARTS; part++) {
                        sum = ((FloatVector) q.convertShape(VectorOperators.B2F, F, part))
                                .fma(FloatVector.fromArray(F, x, xOffset + i + 32 * j + c + part * L), sum);
                    }
                }
                acc = sum.fma(FloatVector.broadcast(F, d * scale), acc);
            }
        }
        return Lanes.sum(acc) - mins;
    }

    /**
     * Sum over a super-block's sub-blocks j of min_j * (sum of x over sub-block j): what the
     * minimums take off the dot product, from the prepared sums of 32.
     */
    private static float minTerm(int lowMins, int highMins, float[] sums, int run) {
        float total = 0;
        for (int j = 0; j < 4; j++) {
            total += ((lowMins >>> 8 * j) & 0xFF) * sums[run + j];
            total += ((highMins >>> 8 * j) & 0xFF) * sums[run + 4 + j];
        }
        return total;
    }

    /**
     * block_q5_K: f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]. As Q4_K, with a fifth
     * bit (worth 16) for element l of sub-block j in bit j of qh[l].
     */
    @Override
    void quantizeBlock(float[] values, int o, ByteBuffer out) {
        KQuantWithMin.quantize(values, o, 31, out);
    }

    @Override
    void dequantizeBlock(MemorySegment data, long block, float[] out, int o) {
        float d = ScalarReference.f16(data, block);
        float dmin = ScalarReference.f16(data, block + 2);
        long qh = block + 16;
        long qs = block + 48;
        for (int j = 0; j < 8; j++) {
            int sm = scaleAndMin(data, block + 4, j);
            float scale = d * (sm & 0xFF);
            float min = dmin * (sm >>> 8);
            int shift = (j & 1) * 4;
            for (int l = 0; l < 32; l++) {
                int q = (ScalarReference.u8(data, qs + 32 * (j / 2) + l) >>> shift) & 0xF;
                q |= ((ScalarReference.u8(data, qh + l) >>> j) & 1) << 4;
                out[o + 32 * j + l] = scale * q - min;
            }
        }
    }
}
