package eu.souverain.tools;

import eu.souverain.engine.gguf.GGUFFormatException;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.model.UnsupportedModelException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model file that cannot be loaded, said as a person can act on it: not a GGUF file at all,
 * truncated (a download cut short), damaged, or a model of a kind the engine does not run; each
 * with the file's name and the command that shows what the file holds.
 */
public final class ModelFileProblems {

    public interface Loading<T> {
        T load() throws IOException;
    }

    private ModelFileProblems() {}

    public static <T> T explained(Path file, Loading<T> loading) throws IOException {
        return explained(Map.of(file.toString(), file), loading);
    }

    /** Runs {@code loading} of {@code files}; a failure names the file it comes from. */
    public static <T> T explained(Map<String, Path> files, Loading<T> loading) throws IOException {
        try {
            return loading.load();
        } catch (GGUFFormatException | UnsupportedModelException e) {
            throw explain(culprit(files, e), e);
        }
    }

    static IllegalArgumentException explain(Path file, RuntimeException e) {
        String detail = e.getMessage();
        if (detail.startsWith(file + ": ")) {
            detail = detail.substring(file.toString().length() + 2);
        }
        String inspect = "'./souverain inspect --model " + file + "'";
        String problem;
        if (e instanceof UnsupportedModelException) {
            problem = file + " holds a model Souverain cannot run: " + detail + "; " + inspect
                    + " shows its architecture and tensor types";
        } else if (detail.startsWith("not a GGUF file")) {
            problem = file + " is not a GGUF model file (" + detail + "): give a .gguf file, or see what it is with "
                    + inspect;
        } else if (detail.contains("past the end of the file") || detail.contains("shorter than a GGUF header")) {
            problem = file + " is truncated (" + detail + "): download it again (./souverain pull resumes and checks"
                    + " it), or see what it holds with " + inspect;
        } else {
            problem = file + " is a damaged GGUF file (" + detail + "): download it again, or see what it holds with "
                    + inspect;
        }
        return new IllegalArgumentException(problem, e);
    }

    /** The file the failure is about: the one its message names, else the one of several that fails alone. */
    private static Path culprit(Map<String, Path> files, RuntimeException e) {
        for (Path file : files.values()) {
            if (e.getMessage() != null && e.getMessage().startsWith(file + ": ")) {
                return file;
            }
        }
        if (files.size() > 1) {
            for (Path file : files.values()) {
                try (LlamaModel ignored = LlamaModel.load(file, 0)) {
                    // loads: not this one
                } catch (IOException | RuntimeException failed) {
                    return file;
                }
            }
        }
        return files.values().iterator().next();
    }
}
