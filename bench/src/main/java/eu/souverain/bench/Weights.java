package eu.souverain.bench;

import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.engine.tensor.Matrix;
import eu.souverain.engine.tensor.Quantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Seeded random matrices in native memory, as the engine reads weights from a mapped file: a
 * matrix on the Java heap would take the Vector API's slow path and measure the wrong thing.
 */
final class Weights {

    private Weights() {}

    static Matrix matrix(Arena arena, GGMLType type, int rows, int cols, long seed) {
        byte[] bytes = Quantizer.quantize(type, gaussian(rows * cols, seed));
        MemorySegment data = arena.allocate(bytes.length, 64);
        MemorySegment.copy(bytes, 0, data, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return Matrix.of(type, data, rows, cols);
    }

    static float[] gaussian(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
