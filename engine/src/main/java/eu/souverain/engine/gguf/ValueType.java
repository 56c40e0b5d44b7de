package eu.souverain.engine.gguf;

/** The types a GGUF metadata value can have, with their ids in the file. */
public enum ValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 8),
    ARRAY(9, 12),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final ValueType[] BY_ID = values();

    private final int id;
    private final int minEncodedBytes;

    ValueType(int id, int minEncodedBytes) {
        this.id = id;
        this.minEncodedBytes = minEncodedBytes;
    }

    public int id() {
        return id;
    }

    /** The type with this id, or null when GGUF defines none. */
    public static ValueType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /** The fewest bytes one value of this type takes in a file (an empty string, an empty array). */
    int minEncodedBytes() {
        return minEncodedBytes;
    }

    boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** Whether {@code value} is in this integer type's range; UINT64 takes any long as raw bits. */
    boolean holds(long value) {
        return switch (this) {
            case UINT8 -> value >= 0 && value <= 0xFF;
            case INT8 -> value >= Byte.MIN_VALUE && value <= Byte.MAX_VALUE;
            case UINT16 -> value >= 0 && value <= 0xFFFF;
            case INT16 -> value >= Short.MIN_VALUE && value <= Short.MAX_VALUE;
            case UINT32 -> value >= 0 && value <= 0xFFFF_FFFFL;
            case INT32 -> value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE;
            case UINT64, INT64 -> true;
            default -> false;
        };
    }
}
