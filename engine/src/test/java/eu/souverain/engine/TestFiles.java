package eu.souverain.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the test data folder {@code shared/} that sits beside the checkout (or above it). */
public final class TestFiles {

    private TestFiles() {}

    /** {@code relative} inside the nearest folder named shared, holding models/, above the working directory. */
    public static Path shared(String relative) {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path shared = dir.resolve("shared");
            if (Files.isDirectory(shared.resolve("models"))) {
                Path file = shared.resolve(relative);
                if (!Files.exists(file)) {
                    throw new IllegalStateException("test data " + file + " is missing");
                }
                return file;
            }
        }
        throw new IllegalStateException("no folder 'shared' holding models/ found in " + start
                + " or any folder above it; the test data must sit beside the checkout (e.g. ../shared)");
    }
}
