package eu.souverain.server.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.engine.model.ModelFileSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The models directory: GGUF files, each pulled one with {@code NAME.gguf.json} beside it (where it
 * came from, its SHA-256, its licence and model card data). A model's name is its file name
 * without {@code .gguf}.
 */
public final class ModelsDirectory {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** llama.cpp's general.file_type numbers (LLAMA_FTYPE) and the names published files use. */
    /** A model file as {@code souverain models} lists it; unknown values are null. */
    public record Entry(String name, Path file, long size, String quantization, String architecture, Long context,
                        String licence, String sha256) {
    }

    private final Path directory;

    public ModelsDirectory(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    public Path fileOf(String name) {
        return directory.resolve(name + ".gguf");
    }

    /** Pulls {@code spec} (REPO, REPO:FILE or REPO:QUANT) from {@code hub}; returns the model's file. */
    public Path pull(Hub hub, String spec, PrintWriter err) throws IOException {
        Optional<Catalogue.Model> known = Catalogue.find(spec);
        if (known.isPresent()) {
            spec = known.get().repo() + ":" + known.get().quantization();
            err.println("souverain: " + known.get().description() + " is " + spec + " (needs about "
                    + known.get().memoryGib() + " GiB of memory)");
        }
        int colon = spec.indexOf(':');
        String repo = colon < 0 ? spec : spec.substring(0, colon);
        String choice = colon < 0 ? null : spec.substring(colon + 1);
        if (!repo.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new HubException("'" + spec + "' is not OWNER/REPO[:FILE|:QUANT], e.g. "
                    + "bartowski/Mistral-7B-Instruct-v0.3-GGUF:Q4_K_M");
        }
        HubFile file = choose(repo, choice, hub.files(repo));
        if (file.sha256() == null) {
            throw new HubException(file.path() + " of " + repo + " has no SHA-256 on the hub (not an LFS file):"
                    + " refusing a file that cannot be checked");
        }
        Files.createDirectories(directory);
        String fileName = Path.of(file.path()).getFileName().toString();
        Path target = directory.resolve(fileName);
        if (Files.exists(target) && Hub.sha256(target).equals(file.sha256())) {
            err.println("souverain: " + fileName + " is here already, checked");
        } else {
            hub.download(repo, file, target, err);
        }
        ObjectNode about = JSON.createObjectNode().put("repo", repo).put("file", file.path()).put("hub", hub.toString())
                .put("sha256", file.sha256()).put("size", file.size()).put("pulled_at", Instant.now().toString());
        JsonNode card = hub.card(repo);
        about.put("licence", card.path("license").isMissingNode() ? null : card.path("license").asText());
        about.set("card", card);
        Files.writeString(directory.resolve(fileName + ".json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(about) + "\n");
        return target;
    }

    /** FILE exactly, else the one GGUF file whose name holds QUANT, else the only GGUF file. */
    static HubFile choose(String repo, String choice, List<HubFile> files) {
        List<HubFile> ggufs = files.stream().filter(f -> f.path().toLowerCase(Locale.ROOT).endsWith(".gguf")).toList();
        List<HubFile> matching = choice == null ? ggufs : files.stream().filter(f -> f.path().equals(choice)).toList();
        if (matching.isEmpty() && choice != null) {
            String quant = choice.toLowerCase(Locale.ROOT);
            matching = ggufs.stream().filter(f -> f.path().toLowerCase(Locale.ROOT).contains(quant)).toList();
        }
        if (matching.size() == 1) {
            return matching.getFirst();
        }
        String names = String.join(", ", ggufs.stream().map(HubFile::path).toList());
        if (ggufs.isEmpty()) {
            throw new HubException(repo + " holds no GGUF file");
        }
        throw new HubException(repo + (matching.isEmpty() ? " has no GGUF file matching '" + choice + "'"
                : " has " + matching.size() + " GGUF files" + (choice == null ? "" : " matching '" + choice + "'"))
                + ": name one with " + repo + ":FILE or :QUANT, of " + names);
    }

    /** The GGUF files in the directory, by name. */
    public List<Entry> list() throws IOException {
        List<Entry> entries = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return entries;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.gguf")) {
            for (Path file : files) {
                entries.add(entry(file));
            }
        }
        entries.sort((a, b) -> a.name().compareTo(b.name()));
        return entries;
    }

    private static Entry entry(Path file) throws IOException {
        String name = file.getFileName().toString().replaceFirst("\\.gguf$", "");
        ModelFileSummary summary;
        try {
            summary = ModelFileSummary.read(file);
        } catch (RuntimeException e) {
            summary = new ModelFileSummary(null, "unreadable: ./souverain inspect --model " + file, null);
        }
        String licence = null;
        String sha256 = null;
        Path about = file.resolveSibling(file.getFileName() + ".json");
        if (Files.exists(about)) {
            JsonNode json = JSON.readTree(about.toFile());
            licence = json.path("licence").isTextual() ? json.path("licence").asText() : null;
            sha256 = json.path("sha256").asText(null);
        }
        return new Entry(name, file, Files.size(file), summary.quantization(), summary.architecture(),
                summary.context(), licence, sha256);
    }

    /**
     * {@code path} as serve's --model gives it: a file, or else the name of a model in this
     * directory (NAME for NAME.gguf).
     */
    public Path resolve(Path path) {
        if (Files.exists(path) || path.getNameCount() != 1) {
            return path;
        }
        Path named = fileOf(path.toString());
        return Files.exists(named) ? named : path;
    }

    /** Removes the model {@code name}, its metadata and any partial download; false when there is none. */
    public boolean remove(String name) throws IOException {
        Path file = fileOf(name);
        boolean removed = Files.deleteIfExists(file);
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".json"));
        removed |= Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".part"));
        return removed;
    }
}
