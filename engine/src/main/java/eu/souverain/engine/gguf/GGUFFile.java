package eu.souverain.engine.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (version 2 or 3) mapped read-only into memory. Tensor data is never copied: {@link
 * #data} hands out slices of the mapping, which stay valid until {@link #close}.
 */
public final class GGUFFile implements AutoCloseable {

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final long alignment;
    private final long dataOffset;
    private final Metadata metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> tensorsByName = new HashMap<>();
    private boolean closed;

    private GGUFFile(Path path, Arena arena, MemorySegment mapping, GGUFParser.Contents contents) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = contents.version();
        this.alignment = contents.alignment();
        this.dataOffset = contents.dataOffset();
        this.metadata = contents.metadata();
        this.tensors = contents.tensors();
        for (TensorInfo tensor : tensors) {
            tensorsByName.put(tensor.name(), tensor);
        }
    }

    /**
     * Maps and checks the file. A file that is truncated, corrupt or hostile gets a {@link
     * GGUFFormatException} naming the problem and its offset.
     */
    public static GGUFFile open(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            // A shared arena so that the mapping can be read from any thread (batch workers).
            Arena arena = Arena.ofShared();
            try {
                MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
                return new GGUFFile(path, arena, mapping, new GGUFParser(mapping).parse());
            } catch (GGUFFormatException e) {
                arena.close();
                throw new GGUFFormatException(path + ": " + e.getMessage());
            } catch (Throwable e) {
                arena.close();
                throw e;
            }
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public long alignment() {
        return alignment;
    }

    /** File offset where tensor data starts; tensor offsets are relative to it. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return mapping.byteSize();
    }

    public Metadata metadata() {
        return metadata;
    }

    /** The tensors in file order. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    public Optional<TensorInfo> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    public TensorInfo tensor(String name) {
        TensorInfo tensor = tensorsByName.get(name);
        if (tensor == null) {
            throw new GGUFFormatException("tensor '" + name + "' not found in " + path);
        }
        return tensor;
    }

    /** The tensor's bytes: a read-only slice of the mapping, valid until this file is closed. */
    public MemorySegment data(TensorInfo tensor) {
        if (!tensor.equals(tensorsByName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor + " is not one of " + path);
        }
        return mapping.asSlice(dataOffset + tensor.offset(), tensor.byteSize()).asReadOnly();
    }

    /** Unmaps the file; segments from {@link #data} must not be used afterwards. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return path + " (GGUF v" + version + ", " + metadata.keys().size() + " metadata keys, "
                + tensors.size() + " tensors)";
    }
}
