package eu.souverain.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering the README's layout section describes, read from the main sources of the engine
 * and the server: each package names the Souverain packages it uses (imports and qualified
 * names), and may use only those below it in {@link #ENGINE} or {@link #SERVER}. That order
 * leaves no room for a package cycle; the engine never uses the server; the server reaches the
 * engine only through its front door ({@link #ENGINE_EXPORTS}); nothing below {@code api} uses
 * it. A new package must be placed in the order, on purpose.
 */
class LayeringTest {

    /** The engine's packages, each above the ones it may use. */
    static final List<String> ENGINE = List.of("tensor", "gguf", "chat", "tokenizer", "sample", "model", "batch",
            "prompt");
    /** The server's packages, each above the ones it may use; cli wires them all. */
    static final List<String> SERVER = List.of("store", "models", "audit", "tenancy", "sso", "limits", "provenance", "vault",
            "conversations", "files", "backends", "batch", "privacy", "sovereignty", "calls", "catalogue", "documents",
            "api", "cli");
    /** What the server may use of the engine. */
    static final Set<String> ENGINE_EXPORTS = Set.of("chat", "prompt", "model", "sample", "batch");

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    /** A package is named "module.package"; the tools module's one package is "tools.tools". */
    private static final Pattern PACKAGE = Pattern.compile("^package eu\\.souverain\\.(\\w+)(?:\\.(\\w+))?;", Pattern.MULTILINE);
    private static final Pattern USE = Pattern.compile("\\beu\\.souverain\\.(?:(engine|server)\\.([a-z]\\w*)\\.|tools\\.[A-Z])");

    @Test
    void everyPackageUsesOnlyThePackagesBelowIt() {
        Map<String, Set<String>> uses = uses();
        assertThat(uses).as("packages found").isNotEmpty();
        List<String> wrong = new ArrayList<>();
        uses.forEach((from, used) -> {
            for (String to : used) {
                if (!allowed(from, to)) {
                    wrong.add(from + " -> " + to);
                }
            }
        });
        assertThat(wrong).as("uses against the layering (README, Layout)").isEmpty();
    }

    @Test
    void thePackageOrderHoldsEveryPackage() {
        for (String module : uses().keySet()) {
            String[] parts = module.split("\\.");
            assertThat(order(parts[0])).as("the layering's place of %s", module).contains(parts[1]);
        }
    }

    @Test
    void theRulesThemselvesRefuseWhatTheyShould() {
        assertThat(allowed("engine.model", "server.api")).isFalse();
        assertThat(allowed("server.privacy", "server.api")).isFalse();
        assertThat(allowed("server.calls", "server.api")).isFalse();
        assertThat(allowed("server.audit", "server.vault")).isFalse();
        assertThat(allowed("server.api", "engine.tokenizer")).isFalse();
        assertThat(allowed("engine.chat", "engine.tokenizer")).isFalse();
        assertThat(allowed("server.cli", "server.api")).isTrue();
        assertThat(allowed("server.api", "engine.chat")).isTrue();
        assertThat(allowed("server.cli", "engine.gguf")).isFalse();
        assertThat(allowed("server.api", "tools.tools")).isFalse();
        assertThat(allowed("engine.model", "tools.tools")).isFalse();
        assertThat(allowed("tools.tools", "server.api")).isFalse();
        assertThat(allowed("server.cli", "tools.tools")).isTrue();
        assertThat(allowed("tools.tools", "engine.gguf")).isTrue();
    }

    /**
     * ONNX Runtime is native code: one class of the server runs it (the bundled embedding model's
     * forward pass), and the engine and the tools never do.
     */
    @Test
    void onlyOneClassUsesOnnxRuntime() throws IOException {
        List<String> users = new ArrayList<>();
        for (String module : List.of("engine", "tools", "server")) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    if (Files.readString(file).contains("ai.onnxruntime")) {
                        users.add(ROOT.relativize(file).toString());
                    }
                }
            }
        }
        assertThat(users).containsExactly("server/src/main/java/eu/souverain/server/backends/OnnxSentenceEncoder.java");
    }

    private static List<String> order(String module) {
        return switch (module) {
            case "engine" -> ENGINE;
            case "server" -> SERVER;
            default -> List.of("tools");
        };
    }

    static boolean allowed(String from, String to) {
        String[] a = from.split("\\.");
        String[] b = to.split("\\.");
        if (a[0].equals(b[0])) {
            List<String> order = order(a[0]);
            return order.indexOf(b[1]) >= 0 && order.indexOf(b[1]) < order.indexOf(a[1]);
        }
        if (a[0].equals("engine")) {
            return false;
        }
        if (a[0].equals("tools")) {
            return b[0].equals("engine");
        }
        // The server: the engine's front door, and the command line also dispatches the tools.
        return b[0].equals("engine") ? ENGINE_EXPORTS.contains(b[1]) : a[1].equals("cli");
    }

    /** For each main package ("engine.model", "server.api"), the other Souverain packages its sources name. */
    private static Map<String, Set<String>> uses() {
        Map<String, Set<String>> uses = new TreeMap<>();
        for (String module : List.of("engine", "tools", "server")) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    String source = Files.readString(file);
                    Matcher declared = PACKAGE.matcher(source);
                    if (!declared.find()) {
                        continue;
                    }
                    String from = declared.group(1) + "." + (declared.group(2) != null ? declared.group(2) : declared.group(1));
                    Set<String> used = uses.computeIfAbsent(from, k -> new TreeSet<>());
                    Matcher use = USE.matcher(source.substring(declared.end()));
                    while (use.find()) {
                        String to = use.group(1) != null ? use.group(1) + "." + use.group(2) : "tools.tools";
                        if (!to.equals(from)) {
                            used.add(to);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return uses;
    }
}
