package eu.souverain.tools;

import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.gguf.Metadata;
import eu.souverain.engine.model.SyntheticModel;
import eu.souverain.engine.model.SyntheticModel.FileType;
import eu.souverain.engine.model.SyntheticModel.Init;
import eu.souverain.engine.model.SyntheticModel.Shape;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** Writes a synthetic model: a real shape and tokenizer with seeded random weights. */
@Command(name = "make-model", mixinStandardHelpOptions = true,
        description = "Write a model of a real shape with seeded random weights (normal, std 0.02; norms 1) and a"
                + " real tokenizer, for benchmarks and tests. It loads and runs like the real model at the same"
                + " speed, but writes nonsense.")
public final class MakeModelCommand implements Callable<Integer> {

    /** Bundled so that a fresh clone can make models with a real 32,000-token vocabulary. */
    public static final String DEFAULT_VOCABULARY = "models/ggml-vocab-llama-spm.gguf";

    static final Map<String, Shape> SHAPES = Map.of(
            "tinyllama-1.1b", Shape.tinyllama(),
            "mistral-7b", Shape.mistral7b(),
            // Small enough for tests; 4 layers so that Q4_K_M's layer rule picks some layers and not others.
            "tiny", new Shape(256, 4, 8, 4, 32, 768, 512, 10000f, 0, false, false));

    static final List<String> FILE_TYPES = List.of("F16", "Q8_0", "Q4_0", "Q4_K_M");

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape", required = true, paramLabel = "SHAPE", converter = ShapeName.class,
            description = "tinyllama-1.1b, mistral-7b or tiny (embedding 256, 4 layers, for tests).")
    String shape;

    @Option(names = "--type", required = true, paramLabel = "TYPE", converter = FileTypeName.class,
            description = "F16, Q8_0, Q4_0 or Q4_K_M, with the tensor types llama-quantize gives each matrix.")
    String type;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "The GGUF file to write.")
    Path out;

    @Option(names = {"-s", "--seed"}, paramLabel = "S", defaultValue = "0",
            description = "Seed of the random weights (default: ${DEFAULT-VALUE}); the same seed writes the same bytes.")
    long seed;

    @Option(names = "--vocab", paramLabel = "FILE",
            description = "GGUF file whose tokenizer the model gets (default: the bundled " + DEFAULT_VOCABULARY + ").")
    Path vocabulary;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Path vocabularyPath = vocabulary != null ? vocabulary
                : Path.of(System.getProperty("souverain.home", ".")).resolve(DEFAULT_VOCABULARY);
        if (!Files.isRegularFile(vocabularyPath)) {
            throw new NoSuchFileException(vocabularyPath.toString());
        }
        Metadata tokenizer;
        try (GGUFFile file = GGUFFile.open(vocabularyPath)) {
            tokenizer = file.metadata();
        }
        if (tokenizer.findString("tokenizer.ggml.model").isEmpty()) {
            throw new IllegalArgumentException(vocabularyPath + " holds no tokenizer (no tokenizer.ggml.model key)");
        }
        Shape modelShape = SHAPES.get(shape);
        FileType fileType = FileType.llamaCpp(type, modelShape);
        String name = "synthetic " + shape + " " + type;
        err.printf(Locale.ROOT, "writing %s (%s, seed %d) to %s%n", name, vocabularyPath.getFileName(), seed, out);
        long start = System.nanoTime();
        SyntheticModel.write(out, name, modelShape, fileType, Init.standard(seed), tokenizer);
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes = Files.size(out);
        err.printf(Locale.ROOT, "wrote %,d bytes in %.1f s (%.0f MB/s)%n", bytes, seconds, bytes / seconds / 1e6);
        return 0;
    }

    static final class ShapeName implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!SHAPES.containsKey(value)) {
                throw new TypeConversionException("unknown shape '" + value + "': choose tinyllama-1.1b, mistral-7b or tiny");
            }
            return value;
        }
    }

    static final class FileTypeName implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!FILE_TYPES.contains(value)) {
                throw new TypeConversionException("unknown type '" + value + "': choose F16, Q8_0, Q4_0 or Q4_K_M");
            }
            return value;
        }
    }
}
