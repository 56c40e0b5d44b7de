package eu.souverain.engine.gguf;

import eu.souverain.engine.tensor.GGMLType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Builds a GGUF version 3 file: metadata in the order it was put, then the tensors in the order
 * they were added, each aligned to {@code general.alignment} (32 unless put). Tensor data given as
 * a supplier is asked for only while writing, one tensor at a time, so a file far larger than the
 * heap can be written.
 */
public final class GGUFWriter {

    private record PendingTensor(String name, GGMLType type, long[] shape, long byteSize, Supplier<byte[]> data) {}

    private final SequencedMap<String, Metadata.Value> metadata = new LinkedHashMap<>();
    private final SequencedMap<String, PendingTensor> tensors = new LinkedHashMap<>();

    public GGUFWriter() {}

    /**
     * Puts a metadata value, given in the {@link Metadata} representation (an Integer, Short or
     * Byte is also accepted for an integer type, a Double for FLOAT32 and a Float for FLOAT64). A key
     * put again keeps its place and takes the new value.
     */
    public GGUFWriter put(String key, ValueType type, Object value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        Object normalized = normalize(key, type, value);
        if (key.equals(GGUFParser.ALIGNMENT_KEY)
                && (type != ValueType.UINT32 || !GGUFParser.isValidAlignment((Long) normalized))) {
            throw new IllegalArgumentException(GGUFParser.ALIGNMENT_KEY
                    + " must be a UINT32 power of two between 1 and 2^30, not " + type + " " + value);
        }
        metadata.put(key, new Metadata.Value(type, normalized));
        return this;
    }

    public GGUFWriter putString(String key, String value) {
        return put(key, ValueType.STRING, value);
    }

    public GGUFWriter putUInt32(String key, long value) {
        return put(key, ValueType.UINT32, value);
    }

    public GGUFWriter putInt32(String key, int value) {
        return put(key, ValueType.INT32, value);
    }

    public GGUFWriter putFloat32(String key, float value) {
        return put(key, ValueType.FLOAT32, value);
    }

    public GGUFWriter putBool(String key, boolean value) {
        return put(key, ValueType.BOOL, value);
    }

    public GGUFWriter putArray(String key, GGUFArray value) {
        return put(key, ValueType.ARRAY, value);
    }

    /** Puts every key of {@code from} that {@code keyFilter} accepts, in file order, with its type. */
    public GGUFWriter copyMetadata(Metadata from, Predicate<String> keyFilter) {
        from.entries().forEach((key, value) -> {
            if (keyFilter.test(key)) {
                put(key, value.type(), value.value());
            }
        });
        return this;
    }

    public GGUFWriter addTensor(String name, GGMLType type, long[] shape, byte[] data) {
        Objects.requireNonNull(data, "data");
        long byteSize = byteSize(name, type, shape);
        checkLength(name, type, shape, byteSize, data);
        return add(new PendingTensor(name, type, shape.clone(), byteSize, () -> data));
    }

    /** Adds a tensor whose bytes {@code data} supplies during {@link #write}. */
    public GGUFWriter addTensor(String name, GGMLType type, long[] shape, Supplier<byte[]> data) {
        Objects.requireNonNull(data, "data");
        return add(new PendingTensor(name, type, shape.clone(), byteSize(name, type, shape), data));
    }

    /** Writes the file, replacing any file at {@code path}. */
    public void write(Path path) throws IOException {
        long alignment = metadata.containsKey(GGUFParser.ALIGNMENT_KEY)
                ? (Long) metadata.get(GGUFParser.ALIGNMENT_KEY).value()
                : GGUFParser.DEFAULT_ALIGNMENT;
        LittleEndianBuffer header = new LittleEndianBuffer();
        header.u32(GGUFParser.MAGIC);
        header.u32(3);
        header.u64(tensors.size());
        header.u64(metadata.size());
        metadata.forEach((key, value) -> {
            header.string(key);
            header.u32(value.type().id());
            writeValue(header, value.type(), value.value());
        });
        long offset = 0;
        for (PendingTensor tensor : tensors.values()) {
            header.string(tensor.name());
            header.u32(tensor.shape().length);
            for (long dim : tensor.shape()) {
                header.u64(dim);
            }
            header.u32(tensor.type().id());
            header.u64(offset);
            offset = alignUp(offset + tensor.byteSize(), alignment);
        }
        header.pad(alignment);

        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(channel, ByteBuffer.wrap(header.toByteArray()));
            for (PendingTensor tensor : tensors.values()) {
                byte[] data = tensor.data().get();
                checkLength(tensor.name(), tensor.type(), tensor.shape(), tensor.byteSize(), data);
                writeFully(channel, ByteBuffer.wrap(data));
                int padding = (int) (alignUp(tensor.byteSize(), alignment) - tensor.byteSize());
                writeFully(channel, ByteBuffer.allocate(padding));
            }
        }
    }

    private GGUFWriter add(PendingTensor tensor) {
        if (tensors.putIfAbsent(tensor.name(), tensor) != null) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' is already added");
        }
        return this;
    }

    private static long byteSize(String name, GGMLType type, long[] shape) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (shape.length < 1 || shape.length > GGUFParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.length
                    + " dimensions; GGUF takes 1 to " + GGUFParser.MAX_DIMS);
        }
        long elements = 1;
        for (long dim : shape) {
            if (dim <= 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(shape)
                        + "; every dimension must be positive");
            }
            elements = Math.multiplyExact(elements, dim);
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape[0] + " columns, not a multiple of "
                    + type + "'s block size " + type.blockSize());
        }
        return Math.multiplyExact(elements / type.blockSize(), type.blockBytes());
    }

    private static void checkLength(String name, GGMLType type, long[] shape, long byteSize, byte[] data) {
        if (data == null || data.length != byteSize) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + type + " " + Arrays.toString(shape)
                    + ") needs " + byteSize + " bytes of data, got " + (data == null ? "null" : data.length));
        }
    }

    /** Checks a value against its type and returns it in the form {@link Metadata} holds. */
    private static Object normalize(String key, ValueType type, Object value) {
        Object normalized = switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                if (!(value instanceof Long || value instanceof Integer || value instanceof Short
                        || value instanceof Byte)) {
                    yield null;
                }
                long number = ((Number) value).longValue();
                if (!type.holds(number)) {
                    throw new IllegalArgumentException("metadata key '" + key + "': " + number + " is out of "
                            + type + " range");
                }
                yield number;
            }
            case FLOAT32 -> value instanceof Float || value instanceof Double ? ((Number) value).floatValue() : null;
            case FLOAT64 -> value instanceof Float || value instanceof Double ? ((Number) value).doubleValue() : null;
            case BOOL -> value instanceof Boolean ? value : null;
            case STRING -> value instanceof String ? value : null;
            case ARRAY -> {
                if (value instanceof GGUFArray array) {
                    checkArray(key, array, 1);
                }
                yield value instanceof GGUFArray ? value : null;
            }
        };
        if (normalized == null) {
            throw new IllegalArgumentException("metadata key '" + key + "': " + type + " cannot hold "
                    + (value == null ? "null" : "a " + value.getClass().getSimpleName()));
        }
        return normalized;
    }

    /** The checks the reader makes, so that whatever is written can be read back. */
    private static void checkArray(String key, GGUFArray array, int depth) {
        if (depth > GGUFParser.MAX_ARRAY_DEPTH) {
            throw new IllegalArgumentException("metadata key '" + key + "' nests arrays deeper than "
                    + GGUFParser.MAX_ARRAY_DEPTH + " levels");
        }
        switch (array.values()) {
            case long[] numbers -> {
                for (long number : numbers) {
                    if (!array.elementType().holds(number)) {
                        throw new IllegalArgumentException("metadata key '" + key + "': array element " + number
                                + " is out of " + array.elementType() + " range");
                    }
                }
            }
            case String[] strings -> {
                for (String string : strings) {
                    Objects.requireNonNull(string, () -> "metadata key '" + key + "' holds a null string");
                }
            }
            case GGUFArray[] arrays -> {
                for (GGUFArray nested : arrays) {
                    Objects.requireNonNull(nested, () -> "metadata key '" + key + "' holds a null array");
                    checkArray(key, nested, depth + 1);
                }
            }
            default -> {}
        }
    }

    private static void writeValue(LittleEndianBuffer out, ValueType type, Object value) {
        switch (type) {
            case UINT8, INT8 -> out.u8((int) (long) (Long) value);
            case BOOL -> out.u8((Boolean) value ? 1 : 0);
            case UINT16, INT16 -> out.u16((int) (long) (Long) value);
            case UINT32, INT32 -> out.u32((int) (long) (Long) value);
            case UINT64, INT64 -> out.u64((Long) value);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) value));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) value));
            case STRING -> out.string((String) value);
            case ARRAY -> writeArray(out, (GGUFArray) value);
        }
    }

    private static void writeArray(LittleEndianBuffer out, GGUFArray array) {
        ValueType type = array.elementType();
        out.u32(type.id());
        out.u64(array.size());
        switch (type) {
            case FLOAT32 -> {
                for (float f : (float[]) array.values()) {
                    out.u32(Float.floatToRawIntBits(f));
                }
            }
            case FLOAT64 -> {
                for (double d : (double[]) array.values()) {
                    out.u64(Double.doubleToRawLongBits(d));
                }
            }
            case BOOL -> {
                for (boolean b : (boolean[]) array.values()) {
                    out.u8(b ? 1 : 0);
                }
            }
            case STRING -> {
                for (String string : (String[]) array.values()) {
                    out.string(string);
                }
            }
            case ARRAY -> {
                for (GGUFArray nested : (GGUFArray[]) array.values()) {
                    writeArray(out, nested);
                }
            }
            default -> {
                for (long number : (long[]) array.values()) {
                    writeValue(out, type, number);
                }
            }
        }
    }

    private static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) & -alignment;
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** The header being built: little-endian values in a growing byte array. */
    private static final class LittleEndianBuffer extends ByteArrayOutputStream {
        void u8(int value) {
            write(value);
        }

        void u16(int value) {
            write(value);
            write(value >>> 8);
        }

        void u32(int value) {
            u16(value);
            u16(value >>> 16);
        }

        void u64(long value) {
            u32((int) value);
            u32((int) (value >>> 32));
        }

        void string(String value) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            u64(bytes.length);
            writeBytes(bytes);
        }

        void pad(long alignment) {
            while (count % alignment != 0) {
                write(0);
            }
        }
    }
}
