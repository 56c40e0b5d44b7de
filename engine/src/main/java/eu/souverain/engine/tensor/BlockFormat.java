package eu.souverain.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A format that stores its elements in blocks of {@link GGMLType#blockSize()} with their scales:
 * its reference decode and its quantizer go a block at a time.
 */
abstract sealed class BlockFormat extends WeightFormat
        permits Q8_0Format, TiledFormat, Q5_KFormat {

    private final int blockSize;
    private final int blockBytes;

    BlockFormat(GGMLType type) {
        this.blockSize = type.blockSize();
        this.blockBytes = type.blockBytes();
    }

    @Override
    final void dequantize(MemorySegment data, long offset, float[] out, int o, int count) {
        for (int b = 0; b < count / blockSize; b++) {
            dequantizeBlock(data, offset + (long) blockBytes * b, out, o + blockSize * b);
        }
    }

    @Override
    final void quantize(float[] values, ByteBuffer out) {
        for (int o = 0; o < values.length; o += blockSize) {
            quantizeBlock(values, o, out);
        }
    }

    /** The reference decode of the block stored at {@code block} into {@code out[o..o+blockSize)}. */
    abstract void dequantizeBlock(MemorySegment data, long block, float[] out, int o);

    /** Appends the block {@code values[o..o+blockSize)}, encoded, to {@code out}. */
    abstract void quantizeBlock(float[] values, int o, ByteBuffer out);
}
