package eu.souverain.tools;

import eu.souverain.engine.gguf.GGUFArray;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.gguf.TensorInfo;
import eu.souverain.engine.model.LlamaConfig;
import eu.souverain.engine.tensor.GGMLType;
import java.io.PrintWriter;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Prints what a GGUF file holds: architecture, shapes, metadata, tensor types and sizes. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a GGUF file's architecture, shapes, metadata and tensors.")
public final class InspectCommand implements Callable<Integer> {

    /** Array values longer than this are shown by their first elements and their count. */
    private static final int ARRAY_PREVIEW = 8;
    private static final int STRING_PREVIEW = 120;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE", description = "GGUF file to inspect.")
    Path model;

    @Option(names = "--no-tensors", description = "Leave out the list of tensors.")
    boolean noTensors;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model)) {
            throw new NoSuchFileException(model.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        try (GGUFFile file = GGUFFile.open(model)) {
            Metadata metadata = file.metadata();
            out.printf(Locale.ROOT, "file: %s (%s)%n", file.path(), bytes(file.fileSize()));
            out.printf(Locale.ROOT, "gguf: version %d, alignment %d, %d metadata keys, %d tensors%n",
                    file.version(), file.alignment(), metadata.keys().size(), file.tensors().size());
            out.printf(Locale.ROOT, "architecture: %s%n", metadata.findString("general.architecture").orElse("(none)"));
            printShape(out, file);
            printTypes(out, file);

            out.println();
            out.println("metadata:");
            for (String key : metadata.keys()) {
                out.printf(Locale.ROOT, "  %s: %s = %s%n", key, metadata.type(key), preview(metadata.get(key)));
            }
            if (!noTensors) {
                out.println();
                out.println("tensors:");
                for (TensorInfo t : file.tensors()) {
                    out.printf(Locale.ROOT, "  %-32s %-5s %-20s %s%n", t.name(), t.type(),
                            Arrays.toString(t.shape()), bytes(t.byteSize()));
                }
            }
        }
        return 0;
    }

    private static void printShape(PrintWriter out, GGUFFile file) {
        if (!LlamaConfig.ARCHITECTURE.equals(file.metadata().findString("general.architecture").orElse(null))
                || file.findTensor("token_embd.weight").isEmpty()) {
            return;
        }
        LlamaConfig c = LlamaConfig.from(file.metadata(), Math.toIntExact(file.tensor("token_embd.weight").rows()));
        out.printf(Locale.ROOT,
                "shape: embedding %d, %d layers, %d heads (%d kv, head size %d), feed-forward %d, vocabulary %d, context %d%n",
                c.embeddingLength(), c.blockCount(), c.headCount(), c.headCountKv(), c.headSize(),
                c.feedForwardLength(), c.vocabularySize(), c.contextLength());
        out.printf(Locale.ROOT, "rope: base %s, %d dimensions, scale %s%s%s%n", c.ropeFreqBase(), c.ropeDimensions(),
                c.ropeScale(), file.findTensor("rope_freqs.weight").isPresent() ? ", frequency factors" : "",
                c.slidingWindow() > 0 ? "; sliding window " + c.slidingWindow() : "");
        long parameters = file.tensors().stream().mapToLong(TensorInfo::elementCount).sum();
        out.printf(Locale.ROOT, "parameters: %,d%n", parameters);
    }

    private static void printTypes(PrintWriter out, GGUFFile file) {
        Map<GGMLType, long[]> byType = new EnumMap<>(GGMLType.class);
        for (TensorInfo t : file.tensors()) {
            long[] countAndBytes = byType.computeIfAbsent(t.type(), type -> new long[2]);
            countAndBytes[0]++;
            countAndBytes[1] += t.byteSize();
        }
        StringBuilder line = new StringBuilder("tensor types:");
        byType.forEach((type, cb) -> line.append(String.format(Locale.ROOT, " %s %d (%s)", type, cb[0], bytes(cb[1]))));
        out.println(line);
    }

    private static String preview(Object value) {
        if (value instanceof GGUFArray array) {
            int n = array.size();
            StringBuilder s = new StringBuilder("[");
            for (int i = 0; i < Math.min(n, ARRAY_PREVIEW); i++) {
                s.append(i == 0 ? "" : ", ").append(preview(Array.get(array.values(), i)));
            }
            return s.append(n > ARRAY_PREVIEW ? ", ... (" + n + " " + array.elementType() + ")]" : "]").toString();
        }
        if (value instanceof String text) {
            String shown = text.length() > STRING_PREVIEW ? text.substring(0, STRING_PREVIEW) + "..." : text;
            return '"' + shown.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + '"'
                    + (text.length() > STRING_PREVIEW ? " (" + text.length() + " chars)" : "");
        }
        return String.valueOf(value);
    }

    private static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = n;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f %s", value, units[unit]);
    }
}
