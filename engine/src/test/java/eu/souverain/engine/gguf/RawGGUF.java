package eu.souverain.engine.gguf;

import eu.souverain.engine.tensor.GGMLType;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** GGUF bytes assembled by hand, field by field, for files the writer would refuse to produce. */
final class RawGGUF {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Magic, version and the two counts. */
    static RawGGUF header(long version, long tensorCount, long kvCount) {
        return new RawGGUF().bytes("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(version).u64(tensorCount).u64(kvCount);
    }

    RawGGUF u8(int value) {
        out.write(value);
        return this;
    }

    RawGGUF u32(long value) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (value >>> (8 * i)));
        }
        return this;
    }

    RawGGUF u64(long value) {
        return u32(value).u32(value >>> 32);
    }

    RawGGUF bytes(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    RawGGUF string(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return u64(bytes.length).bytes(bytes);
    }

    /** A key and its value type; the value is to follow. */
    RawGGUF key(String key, ValueType type) {
        return string(key).u32(type.id());
    }

    RawGGUF uint32(String key, long value) {
        return key(key, ValueType.UINT32).u32(value);
    }

    RawGGUF tensor(String name, GGMLType type, long offset, long... dims) {
        return tensor(name, type.id(), offset, dims);
    }

    RawGGUF tensor(String name, long typeId, long offset, long... dims) {
        string(name).u32(dims.length);
        for (long dim : dims) {
            u64(dim);
        }
        return u32(typeId).u64(offset);
    }

    RawGGUF padTo(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    RawGGUF zeros(int count) {
        return bytes(new byte[count]);
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
