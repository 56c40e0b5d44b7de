package eu.souverain.engine.gguf;

import java.util.Collections;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.Set;

/**
 * A GGUF file's metadata, in file order. Scalars are held as Long for every integer type (UINT64
 * as raw bits), Float, Double, Boolean or String; arrays as {@link GGUFArray}. The typed getters
 * throw {@link GGUFFormatException} when a key is missing or holds a value of another type.
 */
public final class Metadata {

    record Value(ValueType type, Object value) {}

    private final SequencedMap<String, Value> entries;

    Metadata(SequencedMap<String, Value> entries) {
        this.entries = entries;
    }

    public Set<String> keys() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    public ValueType type(String key) {
        Value value = entries.get(key);
        return value == null ? null : value.type();
    }

    public Object get(String key) {
        Value value = entries.get(key);
        return value == null ? null : value.value();
    }

    public String getString(String key) {
        return (String) expect(key, ValueType.STRING);
    }

    public Optional<String> findString(String key) {
        return has(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    public int getInt(String key) {
        long value = getLong(key);
        if (value != (int) value) {
            throw new GGUFFormatException("metadata key '" + key + "' value " + value + " does not fit in an int");
        }
        return (int) value;
    }

    public int getInt(String key, int defaultValue) {
        return has(key) ? getInt(key) : defaultValue;
    }

    public long getLong(String key) {
        Value value = entry(key);
        if (!value.type().isInteger()) {
            throw wrongType(key, value.type(), "an integer");
        }
        long number = (Long) value.value();
        if (value.type() == ValueType.UINT64 && number < 0) {
            throw new GGUFFormatException("metadata key '" + key + "' value " + Long.toUnsignedString(number)
                    + " does not fit in a long");
        }
        return number;
    }

    public long getLong(String key, long defaultValue) {
        return has(key) ? getLong(key) : defaultValue;
    }

    /** A FLOAT32, FLOAT64 or integer value as a float. */
    public float getFloat(String key) {
        Value value = entry(key);
        return switch (value.type()) {
            case FLOAT32 -> (Float) value.value();
            case FLOAT64 -> (float) (double) (Double) value.value();
            case UINT64 -> unsignedToFloat((Long) value.value());
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, INT64 -> (float) (long) (Long) value.value();
            default -> throw wrongType(key, value.type(), "a number");
        };
    }

    public float getFloat(String key, float defaultValue) {
        return has(key) ? getFloat(key) : defaultValue;
    }

    public boolean getBool(String key, boolean defaultValue) {
        return has(key) ? (Boolean) expect(key, ValueType.BOOL) : defaultValue;
    }

    public String[] getStringArray(String key) {
        return ((String[]) expectArray(key, ValueType.STRING).values()).clone();
    }

    public Optional<String[]> findStringArray(String key) {
        return has(key) ? Optional.of(getStringArray(key)) : Optional.empty();
    }

    /** An ARRAY of FLOAT32 or FLOAT64 as floats. */
    public float[] getFloatArray(String key) {
        GGUFArray array = arrayOf(key);
        return switch (array.elementType()) {
            case FLOAT32 -> ((float[]) array.values()).clone();
            case FLOAT64 -> {
                double[] doubles = (double[]) array.values();
                float[] floats = new float[doubles.length];
                for (int i = 0; i < doubles.length; i++) {
                    floats[i] = (float) doubles[i];
                }
                yield floats;
            }
            default -> throw wrongArrayType(key, array.elementType(), ValueType.FLOAT32.toString());
        };
    }

    public Optional<float[]> findFloatArray(String key) {
        return has(key) ? Optional.of(getFloatArray(key)) : Optional.empty();
    }

    /** An ARRAY of any integer type as ints; an element out of int range is an error. */
    public int[] getIntArray(String key) {
        GGUFArray array = arrayOf(key);
        if (!array.elementType().isInteger()) {
            throw wrongArrayType(key, array.elementType(), "an integer type");
        }
        long[] longs = (long[]) array.values();
        int[] ints = new int[longs.length];
        for (int i = 0; i < longs.length; i++) {
            if (longs[i] != (int) longs[i]) {
                String shown = array.elementType() == ValueType.UINT64
                        ? Long.toUnsignedString(longs[i]) : Long.toString(longs[i]);
                throw new GGUFFormatException("metadata key '" + key + "' element " + i + " value " + shown
                        + " does not fit in an int");
            }
            ints[i] = (int) longs[i];
        }
        return ints;
    }

    public Optional<int[]> findIntArray(String key) {
        return has(key) ? Optional.of(getIntArray(key)) : Optional.empty();
    }

    SequencedMap<String, Value> entries() {
        return entries;
    }

    private Value entry(String key) {
        Value value = entries.get(key);
        if (value == null) {
            throw new GGUFFormatException("missing metadata key '" + key + "'");
        }
        return value;
    }

    private Object expect(String key, ValueType type) {
        Value value = entry(key);
        if (value.type() != type) {
            throw wrongType(key, value.type(), type.toString());
        }
        return value.value();
    }

    private GGUFArray arrayOf(String key) {
        return (GGUFArray) expect(key, ValueType.ARRAY);
    }

    private GGUFArray expectArray(String key, ValueType elementType) {
        GGUFArray array = arrayOf(key);
        if (array.elementType() != elementType) {
            throw wrongArrayType(key, array.elementType(), elementType.toString());
        }
        return array;
    }

    private static GGUFFormatException wrongType(String key, ValueType actual, String expected) {
        return new GGUFFormatException("metadata key '" + key + "' is " + actual + ", expected " + expected);
    }

    private static GGUFFormatException wrongArrayType(String key, ValueType actual, String expected) {
        return new GGUFFormatException("metadata key '" + key + "' is ARRAY of " + actual
                + ", expected ARRAY of " + expected);
    }

    private static float unsignedToFloat(long bits) {
        return bits >= 0 ? bits : (float) ((bits >>> 1) | (bits & 1)) * 2f;
    }
}
