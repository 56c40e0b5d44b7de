package eu.souverain.tools;

import eu.souverain.engine.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which model to load and how many threads run it: shared by every command that runs one. */
public final class ModelOptions {

    /** Bundled with the project so that a fresh clone runs without a download. */
    public static final String DEFAULT_MODEL = "models/stories260K.gguf";

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF model file (default: the bundled " + DEFAULT_MODEL + ").")
    Path model;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "Threads for the forward pass (default: available processors).")
    Integer threads;

    @Option(names = {"-c", "--context"}, paramLabel = "N",
            description = "Context length in tokens (default: the model's own).")
    int context;

    Path modelPath() {
        if (model != null) {
            return model;
        }
        return Path.of(System.getProperty("souverain.home", ".")).resolve(DEFAULT_MODEL);
    }

    int threads() {
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (n < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, was " + n);
        }
        return n;
    }

    LlamaModel load() throws IOException {
        if (context < 0) {
            throw new IllegalArgumentException("--context must not be negative, was " + context);
        }
        Path path = modelPath();
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(path.toString());
        }
        return ModelFileProblems.explained(path, () -> LlamaModel.load(path, context));
    }
}
