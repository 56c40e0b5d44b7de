package eu.souverain.engine.gguf;

import java.lang.reflect.Array;
import java.util.Arrays;
import java.util.Objects;

/**
 * An array metadata value. {@code values} is a long[] for every integer element type (UINT64 as raw
 * bits), float[] for FLOAT32, double[] for FLOAT64, boolean[] for BOOL, String[] for STRING and
 * GGUFArray[] for ARRAY. The array is shared, not copied: do not modify it.
 */
public record GGUFArray(ValueType elementType, Object values) {

    public GGUFArray {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(values, "values");
        Class<?> expected = javaArrayClass(elementType);
        if (values.getClass() != expected) {
            throw new IllegalArgumentException("an ARRAY of " + elementType + " holds a "
                    + expected.getSimpleName() + ", not a " + values.getClass().getSimpleName());
        }
    }

    private static Class<?> javaArrayClass(ValueType elementType) {
        return switch (elementType) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> String[].class;
            case ARRAY -> GGUFArray[].class;
        };
    }

    public int size() {
        return Array.getLength(values);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof GGUFArray that
                && elementType == that.elementType
                && Objects.deepEquals(values, that.values);
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {values});
    }

    @Override
    public String toString() {
        String shown = Arrays.deepToString(new Object[] {values});
        return "ARRAY of " + elementType + " " + shown.substring(1, shown.length() - 1);
    }
}
