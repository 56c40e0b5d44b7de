package eu.souverain.engine.gguf;

import eu.souverain.engine.tensor.GGMLType;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's entry in a GGUF file. {@code shape} is as in the file: shape[0] is the number of
 * columns, the contiguous dimension. {@code offset} is relative to the start of the tensor data.
 */
public record TensorInfo(String name, long[] shape, GGMLType type, long offset, long byteSize) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long count = 1;
        for (long dim : shape) {
            count *= dim;
        }
        return count;
    }

    public long columns() {
        return shape[0];
    }

    /** Product of every dimension after the first; 1 for a vector. */
    public long rows() {
        long rows = 1;
        for (int i = 1; i < shape.length; i++) {
            rows *= shape[i];
        }
        return rows;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name)
                && Arrays.equals(shape, that.shape)
                && type == that.type
                && offset == that.offset
                && byteSize == that.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), type, offset, byteSize);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape) + " at +" + offset + " (" + byteSize + " bytes)";
    }
}
