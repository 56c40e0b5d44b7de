package eu.souverain.server.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Whether the models to serve fit in this machine's memory: their weights (the files, mapped
 * whole), the key/value cache each gets, and the runtime. Refused before anything loads, with the
 * arithmetic, rather than swapping or being killed halfway.
 */
public final class MemoryFit {

    static final long RUNTIME_BYTES = 512L << 20;

    private MemoryFit() {}

    /** Throws when the models would not fit in {@code memoryBytes}; a null memory (unknown) lets anything through. */
    public static void require(Map<String, Path> files, long kvCacheMbEach, OptionalLong memoryBytes) throws IOException {
        if (memoryBytes.isEmpty()) {
            return;
        }
        long weights = 0;
        for (Path file : files.values()) {
            if (Files.isRegularFile(file)) {
                weights += Files.size(file);
            }
        }
        long kv = (kvCacheMbEach << 20) * files.size();
        long need = weights + kv + RUNTIME_BYTES;
        if (need > memoryBytes.getAsLong()) {
            throw new IllegalArgumentException(String.join(", ", files.keySet()) + " will not fit in memory: "
                    + gib(weights) + " of weights + " + gib(kv) + " of key/value cache (--kv-cache-mb) + " + gib(RUNTIME_BYTES)
                    + " for the runtime = " + gib(need) + ", and this machine has " + gib(memoryBytes.getAsLong())
                    + ": choose a smaller quantization or model (./souverain models --catalogue)");
        }
    }

    /** MemTotal from /proc/meminfo; empty where there is none. */
    public static OptionalLong machineMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("\\D", "")) * 1024);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux: nothing to check against.
        }
        return OptionalLong.empty();
    }

    private static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
