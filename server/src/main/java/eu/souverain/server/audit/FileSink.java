package eu.souverain.server.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Checkpoints appended to a file as JSON lines, each forced to disk before it counts as written. */
public record FileSink(Path file) implements CheckpointSink {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public synchronized void append(Checkpoint checkpoint) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        byte[] line = (checkpoint.toJson().toString() + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer buffer = ByteBuffer.wrap(line);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    /** Every checkpoint in the file; a line that is not one is named by its number. */
    public List<Checkpoint> read() throws IOException {
        List<Checkpoint> checkpoints = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            try {
                checkpoints.add(Checkpoint.fromJson(JSON.readTree(lines.get(i))));
            } catch (IOException | IllegalArgumentException e) {
                throw new IOException(file + " line " + (i + 1) + " is not a checkpoint: " + e.getMessage(), e);
            }
        }
        return checkpoints;
    }

    @Override
    public String describe() {
        return "file " + file.toAbsolutePath();
    }
}
