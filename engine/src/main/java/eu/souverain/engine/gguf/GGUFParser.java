package eu.souverain.engine.gguf;

import eu.souverain.engine.tensor.GGMLType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Reads a GGUF header (metadata and tensor infos) from a mapped file, trusting nothing in it: every
 * count is checked against the bytes left before anything is allocated for it, so a hostile file
 * ends in a {@link GGUFFormatException} naming the problem and its offset.
 */
final class GGUFParser {

    record Contents(int version, Metadata metadata, long alignment, long dataOffset, List<TensorInfo> tensors) {}

    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    static final int HEADER_BYTES = 24;
    static final String ALIGNMENT_KEY = "general.alignment";
    static final long DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    static final int MAX_ARRAY_DEPTH = 4;
    /**
     * Caps on what the header may ask us to build. Real models hold a few hundred thousand metadata
     * values (vocabularies, merges) and a few thousand tensors; the caps are far above that and keep
     * a large hostile file from filling the heap with objects its bytes could not justify.
     */
    static final long MAX_METADATA_VALUES = 1L << 24;
    static final long MAX_TENSORS = 1L << 20;

    /** Smallest tensor info: empty name, n_dims, one dimension, type, offset. */
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
    /** Smallest key-value pair: empty key, value type, one-byte value. */
    private static final long MIN_KV_BYTES = 8 + 4 + 1;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment file;
    private final long size;
    private long position;
    private long metadataValuesLeft = MAX_METADATA_VALUES;
    private long alignmentKeyAt;

    GGUFParser(MemorySegment file) {
        this.file = file;
        this.size = file.byteSize();
    }

    Contents parse() {
        if (size < 4) {
            throw tooShort();
        }
        int magic = file.get(U32, 0);
        if (magic != MAGIC) {
            throw fail(String.format("not a GGUF file: magic at offset 0x0 is 0x%08x, expected 0x%08x (\"GGUF\")",
                    Integer.reverseBytes(magic), Integer.reverseBytes(MAGIC)));
        }
        if (size < HEADER_BYTES) {
            throw tooShort();
        }
        int version = readVersion();
        long tensorCount = readCount("tensor count", MIN_TENSOR_INFO_BYTES, MAX_TENSORS);
        long kvCount = readCount("metadata count", MIN_KV_BYTES, MAX_METADATA_VALUES);

        Metadata metadata = readMetadata(kvCount);
        long alignment = alignment(metadata);

        long tensorsAt = position;
        if (tensorCount > (size - position) / MIN_TENSOR_INFO_BYTES) {
            throw fail("tensor count " + tensorCount + " at offset 0x8 cannot fit in the " + (size - tensorsAt)
                    + " bytes after the metadata (tensor infos start at " + hex(tensorsAt) + ")");
        }
        List<TensorInfo> tensors = new ArrayList<>((int) tensorCount);
        long[] infoOffsets = new long[(int) tensorCount];
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tensorCount; i++) {
            infoOffsets[i] = position;
            TensorInfo tensor = readTensorInfo();
            if (!names.add(tensor.name())) {
                throw fail("duplicate tensor name '" + tensor.name() + "' at offset " + hex(infoOffsets[i]));
            }
            tensors.add(tensor);
        }

        long dataOffset = alignUp(position, alignment);
        checkPlacement(tensors, infoOffsets, alignment, dataOffset);
        return new Contents(version, metadata, alignment, dataOffset, List.copyOf(tensors));
    }

    private int readVersion() {
        int version = file.get(U32, 4);
        position = 8;
        if (version == 2 || version == 3) {
            return version;
        }
        int swapped = Integer.reverseBytes(version);
        if (swapped == 2 || swapped == 3) {
            throw fail(String.format("big-endian GGUF file (version at offset 0x4 reads as 0x%08x): only "
                    + "little-endian files are supported", version));
        }
        if (version == 1) {
            throw fail("GGUF version 1 at offset 0x4 is not supported (it used 32-bit counts); "
                    + "convert the file to version 3");
        }
        throw fail("unsupported GGUF version " + Integer.toUnsignedString(version)
                + " at offset 0x4 (supported: 2, 3)");
    }

    private long readCount(String what, long minBytesEach, long limit) {
        long at = position;
        long count = file.get(U64, at);
        position += 8;
        long remaining = size - HEADER_BYTES;
        if (count < 0 || count > remaining / minBytesEach) {
            throw fail(what + " " + Long.toUnsignedString(count) + " at offset " + hex(at)
                    + " cannot fit in the " + remaining + " bytes after the header");
        }
        if (count > limit) {
            throw fail(what + " " + count + " at offset " + hex(at) + " is over the limit of " + limit);
        }
        return count;
    }

    private Metadata readMetadata(long kvCount) {
        LinkedHashMap<String, Metadata.Value> entries = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long keyAt = position;
            String key = readString();
            long typeAt = position;
            long typeId = readU32("metadata value type");
            ValueType type = ValueType.byId(typeId);
            if (type == null) {
                throw fail("metadata key '" + key + "' has unknown value type " + typeId + " at offset " + hex(typeAt));
            }
            takeMetadataValues(1, keyAt);
            Object value = readValue(key, type, 0);
            if (entries.putIfAbsent(key, new Metadata.Value(type, value)) != null) {
                throw fail("duplicate metadata key '" + key + "' at offset " + hex(keyAt));
            }
            if (key.equals(ALIGNMENT_KEY)) {
                alignmentKeyAt = keyAt;
            }
        }
        return new Metadata(entries);
    }

    private Object readValue(String key, ValueType type, int depth) {
        long at = position;
        return switch (type) {
            case UINT8 -> (long) Byte.toUnsignedInt(readI8("UINT8 value"));
            case INT8 -> (long) readI8("INT8 value");
            case UINT16 -> (long) Short.toUnsignedInt(readI16("UINT16 value"));
            case INT16 -> (long) readI16("INT16 value");
            case UINT32 -> readU32("UINT32 value");
            case INT32 -> (long) (int) readU32("INT32 value");
            case UINT64 -> readU64("UINT64 value");
            case INT64 -> readU64("INT64 value");
            case FLOAT32 -> Float.intBitsToFloat((int) readU32("FLOAT32 value"));
            case FLOAT64 -> Double.longBitsToDouble(readU64("FLOAT64 value"));
            case BOOL -> bool(readI8("BOOL value"), at);
            case STRING -> readString();
            case ARRAY -> readArray(key, depth + 1);
        };
    }

    private GGUFArray readArray(String key, int depth) {
        long at = position;
        if (depth > MAX_ARRAY_DEPTH) {
            throw fail("metadata key '" + key + "' nests arrays deeper than " + MAX_ARRAY_DEPTH
                    + " levels at offset " + hex(at));
        }
        long typeId = readU32("array element type");
        ValueType elementType = ValueType.byId(typeId);
        if (elementType == null) {
            throw fail("metadata key '" + key + "' has an array of unknown element type " + typeId
                    + " at offset " + hex(at));
        }
        long count = readU64("array length");
        if (count < 0 || count > (size - position) / elementType.minEncodedBytes()) {
            throw fail("array of " + Long.toUnsignedString(count) + " " + elementType + " values at offset "
                    + hex(at) + " runs past the end of the file (size " + size + ")");
        }
        takeMetadataValues(count, at);
        int n = (int) count;
        long start = position;
        return switch (elementType) {
            case FLOAT32 -> {
                float[] values = new float[n];
                MemorySegment.copy(file, F32, start, values, 0, n);
                position += 4L * n;
                yield new GGUFArray(elementType, values);
            }
            case FLOAT64 -> {
                double[] values = new double[n];
                MemorySegment.copy(file, F64, start, values, 0, n);
                position += 8L * n;
                yield new GGUFArray(elementType, values);
            }
            case BOOL -> {
                boolean[] values = new boolean[n];
                for (int i = 0; i < n; i++) {
                    long valueAt = position;
                    values[i] = bool(readI8("BOOL value"), valueAt);
                }
                yield new GGUFArray(elementType, values);
            }
            case STRING -> {
                String[] values = new String[n];
                for (int i = 0; i < n; i++) {
                    values[i] = readString();
                }
                yield new GGUFArray(elementType, values);
            }
            case ARRAY -> {
                GGUFArray[] values = new GGUFArray[n];
                for (int i = 0; i < n; i++) {
                    values[i] = readArray(key, depth + 1);
                }
                yield new GGUFArray(elementType, values);
            }
            default -> {
                long[] values = new long[n];
                for (int i = 0; i < n; i++) {
                    values[i] = (Long) readValue(key, elementType, depth);
                }
                yield new GGUFArray(elementType, values);
            }
        };
    }

    private void takeMetadataValues(long count, long at) {
        if (count > metadataValuesLeft) {
            throw fail("metadata holds more than " + MAX_METADATA_VALUES + " values (limit reached at offset "
                    + hex(at) + ")");
        }
        metadataValuesLeft -= count;
    }

    private long alignment(Metadata metadata) {
        ValueType type = metadata.type(ALIGNMENT_KEY);
        if (type == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!type.isInteger()) {
            throw fail("metadata key '" + ALIGNMENT_KEY + "' at offset " + hex(alignmentKeyAt) + " is " + type
                    + ", expected UINT32");
        }
        long alignment = (Long) metadata.get(ALIGNMENT_KEY);
        if (!isValidAlignment(alignment)) {
            throw fail(ALIGNMENT_KEY + " " + Long.toUnsignedString(alignment) + " at offset " + hex(alignmentKeyAt)
                    + " is not a power of two between 1 and 2^30");
        }
        return alignment;
    }

    static boolean isValidAlignment(long alignment) {
        return alignment > 0 && alignment <= 1 << 30 && Long.bitCount(alignment) == 1;
    }

    private TensorInfo readTensorInfo() {
        long at = position;
        String name = readString();
        long dimsAt = position;
        long nDims = readU32("tensor dimension count");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw fail("tensor '" + name + "' has " + nDims + " dimensions at offset " + hex(dimsAt)
                    + " (expected 1 to " + MAX_DIMS + ")");
        }
        long[] shape = new long[(int) nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long dimAt = position;
            shape[d] = readU64("tensor dimension");
            if (shape[d] <= 0) {
                throw fail("tensor '" + name + "' dimension " + d + " is " + Long.toUnsignedString(shape[d])
                        + " at offset " + hex(dimAt));
            }
            try {
                elements = Math.multiplyExact(elements, shape[d]);
            } catch (ArithmeticException overflow) {
                throw fail("tensor '" + name + "' shape at offset " + hex(dimsAt)
                        + " has more elements than a long can count");
            }
        }
        long typeAt = position;
        long typeId = readU32("tensor type");
        GGMLType type = GGMLType.byId(typeId);
        if (type == null) {
            throw fail("tensor '" + name + "' has type id " + typeId + " at offset " + hex(typeAt)
                    + ", which ggml does not define or has removed");
        }
        if (shape[0] % type.blockSize() != 0) {
            throw fail("tensor '" + name + "' at offset " + hex(at) + " has " + shape[0] + " columns, not a multiple of "
                    + type + "'s block size " + type.blockSize());
        }
        long byteSize;
        try {
            byteSize = Math.multiplyExact(elements / type.blockSize(), type.blockBytes());
        } catch (ArithmeticException overflow) {
            throw fail("tensor '" + name + "' at offset " + hex(at) + " has more bytes than a long can count");
        }
        long offset = readU64("tensor offset");
        return new TensorInfo(name, shape, type, offset, byteSize);
    }

    /** Every tensor must start aligned, end inside the file and overlap no other. */
    private void checkPlacement(List<TensorInfo> tensors, long[] infoOffsets, long alignment, long dataOffset) {
        long dataBytes = size - dataOffset;
        for (int i = 0; i < tensors.size(); i++) {
            TensorInfo tensor = tensors.get(i);
            if (Long.remainderUnsigned(tensor.offset(), alignment) != 0) {
                throw fail("tensor '" + tensor.name() + "' (info at offset " + hex(infoOffsets[i]) + ") has data offset "
                        + Long.toUnsignedString(tensor.offset()) + ", not a multiple of the alignment " + alignment);
            }
            if (tensor.offset() < 0 || tensor.byteSize() > dataBytes
                    || tensor.offset() > dataBytes - tensor.byteSize()) {
                throw fail("tensor '" + tensor.name() + "' (info at offset " + hex(infoOffsets[i]) + "): "
                        + tensor.byteSize() + " bytes at data offset " + Long.toUnsignedString(tensor.offset())
                        + " run past the end of the file (size " + size + ", tensor data starts at "
                        + hex(dataOffset) + ")");
            }
        }
        TensorInfo[] byOffset = tensors.toArray(TensorInfo[]::new);
        Arrays.sort(byOffset, Comparator.comparingLong(TensorInfo::offset));
        for (int i = 1; i < byOffset.length; i++) {
            TensorInfo previous = byOffset[i - 1];
            if (byOffset[i].offset() < previous.offset() + previous.byteSize()) {
                throw fail("tensors '" + previous.name() + "' (data offset " + previous.offset() + ", "
                        + previous.byteSize() + " bytes) and '" + byOffset[i].name() + "' (data offset "
                        + byOffset[i].offset() + ") overlap");
            }
        }
    }

    private String readString() {
        long at = position;
        long length = readU64("string length");
        if (length < 0 || length > size - position) {
            throw fail("string length " + Long.toUnsignedString(length) + " at offset " + hex(at)
                    + " runs past the end of the file (size " + size + ")");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw fail("string length " + length + " at offset " + hex(at) + " is too long for a string");
        }
        byte[] bytes = new byte[(int) length];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, position, bytes, 0, bytes.length);
        position += length;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private boolean bool(byte value, long at) {
        if (value != 0 && value != 1) {
            throw fail("BOOL value " + value + " at offset " + hex(at) + " is neither 0 nor 1");
        }
        return value == 1;
    }

    private byte readI8(String what) {
        need(1, what);
        return file.get(ValueLayout.JAVA_BYTE, position++);
    }

    private short readI16(String what) {
        need(2, what);
        short value = file.get(U16, position);
        position += 2;
        return value;
    }

    /** An unsigned 32-bit value. */
    private long readU32(String what) {
        need(4, what);
        long value = Integer.toUnsignedLong(file.get(U32, position));
        position += 4;
        return value;
    }

    /** A 64-bit value as raw bits: unsigned counts above 2^63 come back negative. */
    private long readU64(String what) {
        need(8, what);
        long value = file.get(U64, position);
        position += 8;
        return value;
    }

    private void need(long bytes, String what) {
        if (bytes > size - position) {
            throw fail(what + " at offset " + hex(position) + " runs past the end of the file (size " + size + ")");
        }
    }

    private static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) & -alignment;
    }

    private GGUFFormatException tooShort() {
        return fail("file is " + size + " bytes, shorter than a GGUF header (" + HEADER_BYTES + " bytes)");
    }

    private static GGUFFormatException fail(String message) {
        return new GGUFFormatException(message);
    }

    private static String hex(long offset) {
        return "0x" + Long.toHexString(offset);
    }
}
