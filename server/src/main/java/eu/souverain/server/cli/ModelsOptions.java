package eu.souverain.server.cli;

import eu.souverain.server.models.ModelsDirectory;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where pulled models live: by default the checkout's models/, beside the bundled one. */
final class ModelsOptions {

    @Option(names = "--models-dir", paramLabel = "DIR",
            description = "The models directory (default: models/ of the installation).")
    Path directory;

    ModelsDirectory open() {
        return new ModelsDirectory(directory != null ? directory
                : Path.of(System.getProperty("souverain.home", ".")).resolve("models"));
    }
}
