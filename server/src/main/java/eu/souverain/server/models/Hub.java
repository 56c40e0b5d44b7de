package eu.souverain.server.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * A Hugging Face–compatible hub: a repository's files from {@code /api/models/REPO/tree/main}
 * (each with its LFS object id, the SHA-256 of its content), its card data from
 * {@code /api/models/REPO}, and a file's bytes from {@code /REPO/resolve/main/FILE}, which
 * redirects to a content host. The token goes to the hub only, never to the host it redirects to.
 */
public final class Hub {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REDIRECTS = 5;

    private final URI base;
    private final String token;
    private final HttpClient http;

    public Hub(URI base, String token) {
        this.base = URI.create(base.toString().endsWith("/") ? base.toString() : base + "/");
        this.token = token == null || token.isBlank() ? null : token;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(30)).build();
    }

    @Override
    public String toString() {
        return base.toString();
    }

    /** The files of {@code repo} at its main revision. */
    public List<HubFile> files(String repo) throws IOException {
        JsonNode tree = json(repo, "api/models/" + repo + "/tree/main?recursive=true");
        List<HubFile> files = new ArrayList<>();
        for (JsonNode entry : tree) {
            if (!"file".equals(entry.path("type").asText())) {
                continue;
            }
            JsonNode lfs = entry.path("lfs");
            String sha256 = lfs.isObject() ? lfs.path("oid").asText(null) : null;
            files.add(new HubFile(entry.path("path").asText(), entry.path("size").asLong(),
                    sha256 == null ? null : sha256.toLowerCase(Locale.ROOT)));
        }
        return files;
    }

    /** The repository's model card data (licence, base model...) as the hub gives it; empty when none. */
    public JsonNode card(String repo) throws IOException {
        JsonNode info = json(repo, "api/models/" + repo);
        return info.path("cardData").isObject() ? info.path("cardData") : JSON.createObjectNode();
    }

    /**
     * Downloads {@code file} into {@code target}: into {@code target.part} first, continued from
     * where an interrupted pull left it (an HTTP range request), checked against the file's
     * SHA-256, then renamed to {@code target} in one step, so that a half file never looks whole.
     */
    public void download(String repo, HubFile file, Path target, PrintWriter err) throws IOException {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (have > file.size()) {
            Files.delete(part);
            have = 0;
        }
        if (have < file.size()) {
            fetch(repo, file, part, have, err);
        }
        String actual = sha256(part);
        if (file.sha256() != null && !file.sha256().equals(actual)) {
            Files.delete(part);
            throw new HubException(file.path() + " arrived corrupted: its SHA-256 is " + actual + ", the hub's is "
                    + file.sha256() + "; the partial file was removed, run the pull again");
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void fetch(String repo, HubFile file, Path part, long have, PrintWriter err) throws IOException {
        HttpResponse<InputStream> response = get(repo, base.resolve(repo + "/resolve/main/" + encodePath(file.path())),
                have);
        try (InputStream body = response.body()) {
            if (response.statusCode() == 200) {
                have = 0;
            } else if (response.statusCode() != 206) {
                throw new HubException(file.path() + " of " + repo + ": the content host answered HTTP "
                        + response.statusCode() + "; try again later");
            }
            if (have > 0) {
                err.println("souverain: resuming " + file.path() + " at " + Progress.bytes(have));
            }
            Progress progress = new Progress(err, file.path(), file.size(), have);
            long written = have;
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    have == 0 ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = body.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    written += n;
                    progress.at(written, false);
                }
            } catch (IOException e) {
                err.println();
                throw new HubException("the download of " + file.path() + " was cut after " + Progress.bytes(written)
                        + " (" + e.getMessage() + "): run the same pull again to resume it");
            }
            progress.at(written, true);
            if (written < file.size()) {
                throw new HubException("the download of " + file.path() + " ended after " + Progress.bytes(written)
                        + " of " + Progress.bytes(file.size()) + ": run the same pull again to resume it");
            }
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private JsonNode json(String repo, String path) throws IOException {
        HttpResponse<InputStream> response = get(repo, base.resolve(path), 0);
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new HubException(repo + ": the hub answered HTTP " + response.statusCode() + "; try again later");
            }
            return JSON.readTree(body);
        }
    }

    /** GET {@code uri} from byte {@code from} on, following redirects; the token only to the hub's own host. */
    private HttpResponse<InputStream> get(String repo, URI uri, long from) throws IOException {
        for (int redirects = 0; ; redirects++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET()
                    .header("User-Agent", "souverain");
            if (token != null && sameHost(uri, base)) {
                request.header("Authorization", "Bearer " + token);
            }
            if (from > 0) {
                request.header("Range", "bytes=" + from + "-");
            }
            HttpResponse<InputStream> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (IOException e) {
                throw new HubException("cannot reach " + uri.getScheme() + "://" + uri.getAuthority() + " ("
                        + e.getMessage() + "): check the network, or give the hub with --hub URL");
            }
            int status = response.statusCode();
            if (status == 401 || status == 403) {
                response.body().close();
                throw new HubException(repo + " is gated or private (HTTP " + status + "): "
                        + (token == null ? "accept its terms on the hub, then set HF_TOKEN to an access token"
                        : "the token in HF_TOKEN has no access to it; accept the repository's terms on the hub"));
            }
            if (status == 404) {
                response.body().close();
                throw new HubException("no repository or file " + uri.getPath() + " on " + base
                        + ": check the name (OWNER/REPO[:FILE|:QUANT])");
            }
            if (status / 100 != 3) {
                return response;
            }
            response.body().close();
            String location = response.headers().firstValue("Location").orElseThrow(
                    () -> new HubException("the hub answered HTTP " + status + " without a Location; try again later"));
            if (redirects >= MAX_REDIRECTS) {
                throw new HubException("more than " + MAX_REDIRECTS + " redirects from " + base);
            }
            uri = uri.resolve(location);
        }
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getScheme().equals(b.getScheme()) && a.getAuthority().equals(b.getAuthority());
    }

    private static String encodePath(String path) {
        StringBuilder encoded = new StringBuilder();
        for (String segment : path.split("/")) {
            if (!encoded.isEmpty()) {
                encoded.append('/');
            }
            encoded.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return encoded.toString();
    }
}
