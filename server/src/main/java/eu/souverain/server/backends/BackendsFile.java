package eu.souverain.server.backends;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Reads the remote backends file (see docs/backends.md): a JSON object whose {@code backends}
 * array declares each remote with its name, kind, base URL, API key, models and location.
 * Anything wrong in it stops the server before it starts, with one line that names the file,
 * the backend and the field.
 */
public final class BackendsFile {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Set<String> BACKEND_FIELDS = Set.of("name", "kind", "base_url", "api_key", "models", "location",
            "timeout_seconds");
    private static final Set<String> LOCATION_FIELDS = Set.of("provider", "operator", "country", "region",
            "jurisdiction", "certifications");
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final String file;
    private final UnaryOperator<String> environment;

    private BackendsFile(String file, UnaryOperator<String> environment) {
        this.file = file;
        this.environment = environment;
    }

    /** The backends {@code path} declares; {@code env:VAR} keys are read from the process environment. */
    public static List<RemoteBackend.Config> read(Path path) throws IOException {
        return parse(path.toString(), Files.readString(path), System::getenv);
    }

    /** The backends {@code text} declares, {@code env:VAR} keys read from {@code environment}; {@code file} names it in errors. */
    public static List<RemoteBackend.Config> parse(String file, String text, UnaryOperator<String> environment) {
        return new BackendsFile(file, environment).parse(text);
    }

    private List<RemoteBackend.Config> parse(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            // Jackson's note on where an unclosed array began names a redacted source: the line and column say enough.
            String reason = e.getOriginalMessage().replaceAll(" \\(start marker at \\[Source: [^\\]]*\\]\\)", "");
            throw new IllegalArgumentException("backends file " + file + " is not valid JSON: " + reason + where);
        }
        if (root == null || !root.isObject()) {
            throw error("", "must be a JSON object with a 'backends' array");
        }
        root.fieldNames().forEachRemaining(field -> {
            if (!field.equals("backends")) {
                throw error("", "unknown field '" + field + "'; the file holds only 'backends'");
            }
        });
        JsonNode backends = root.get("backends");
        if (backends == null || !backends.isArray()) {
            throw error("", "needs a 'backends' array");
        }
        List<RemoteBackend.Config> configs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Map<String, String> servedBy = new LinkedHashMap<>();
        for (int i = 0; i < backends.size(); i++) {
            RemoteBackend.Config config = backend(i, backends.get(i));
            if (!names.add(config.name())) {
                throw error("backend '" + config.name() + "': ", "the name is used twice");
            }
            for (String model : config.models().keySet()) {
                String other = servedBy.putIfAbsent(model, config.name());
                if (other != null) {
                    throw error("backend '" + config.name() + "': ", "model '" + model + "' is served by backend '"
                            + other + "' already; give it another name in 'models'");
                }
            }
            configs.add(config);
        }
        return configs;
    }

    private RemoteBackend.Config backend(int index, JsonNode node) {
        String at = "backends[" + index + "]: ";
        if (!node.isObject()) {
            throw error(at, "must be an object");
        }
        String name = text(node, "name", at, true);
        if (!NAME.matcher(name).matches() || name.equals(LocalBackend.NAME)) {
            throw error(at, "name '" + name + "' must be letters, digits, '.', '_' or '-' (64 at most), and not '"
                    + LocalBackend.NAME + "'");
        }
        at = "backend '" + name + "': ";
        for (var fields = node.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!BACKEND_FIELDS.contains(field)) {
                throw error(at, "unknown field '" + field + "'");
            }
        }
        RemoteBackend.Kind kind = kind(text(node, "kind", at, true), at);
        URI baseUrl = baseUrl(text(node, "base_url", at, true), at);
        String apiKey = apiKey(text(node, "api_key", at, false), at);
        Map<String, String> models = models(node.get("models"), at);
        BackendLocation location = location(node.get("location"), at);
        Duration timeout = DEFAULT_TIMEOUT;
        JsonNode seconds = node.get("timeout_seconds");
        if (seconds != null) {
            if (!seconds.canConvertToInt() || !seconds.isIntegralNumber() || seconds.asInt() < 1) {
                throw error(at, "'timeout_seconds' must be a whole number of seconds, at least 1");
            }
            timeout = Duration.ofSeconds(seconds.asInt());
        }
        return new RemoteBackend.Config(name, kind, baseUrl, apiKey, models, location, timeout);
    }

    private RemoteBackend.Kind kind(String kind, String at) {
        for (RemoteBackend.Kind k : RemoteBackend.Kind.values()) {
            if (k.label().equals(kind)) {
                return k;
            }
        }
        throw error(at, "unknown kind '" + kind + "'; the kinds are 'openai-compatible' (vLLM, llama.cpp, Ollama,"
                + " Souverain) and 'mistral' (Mistral's API)");
    }

    /** http or https, with a host, and nothing secret or ambiguous in it: no user info, query or fragment. */
    private URI baseUrl(String url, String at) {
        String lower = url.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
            throw error(at, "'base_url' must start with http:// or https://, got '"
                    + (url.contains("@") ? "(a URL with credentials)" : url) + "'");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            // The reason alone: the URL itself may hold a secret.
            throw error(at, "'base_url' is not a URL: " + e.getReason() + " at index " + e.getIndex());
        }
        if (uri.getRawUserInfo() != null) {
            throw error(at, "'base_url' must not carry credentials (user:password@); put the"
                    + " key in 'api_key'");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw error(at, "'base_url' has no host: '" + url + "'");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw error(at, "'base_url' must not have a query or a fragment (a key belongs in"
                    + " 'api_key'): '" + uri.getScheme() + "://" + uri.getHost() + uri.getRawPath() + "?...'");
        }
        return uri;
    }

    private String apiKey(String key, String at) {
        if (key == null || !key.startsWith("env:")) {
            return key;
        }
        String variable = key.substring("env:".length());
        if (!ENV.matcher(variable).matches()) {
            throw error(at, "'api_key' " + key + " does not name an environment variable");
        }
        String value = environment.apply(variable);
        if (value == null || value.isBlank()) {
            throw error(at, "'api_key' reads the environment variable " + variable + ", which is not set");
        }
        return value;
    }

    /** An array of names served under the remote's own names, or an object from local name to remote name. */
    private Map<String, String> models(JsonNode models, String at) {
        if (models == null || models.isNull()) {
            throw error(at, "needs 'models': the names it serves, as [\"name\", ...] or {\"local name\": \"remote name\"}");
        }
        Map<String, String> mapping = new LinkedHashMap<>();
        if (models.isArray()) {
            for (JsonNode model : models) {
                String name = modelName(model, at);
                if (mapping.put(name, name) != null) {
                    throw error(at, "model '" + name + "' is listed twice");
                }
            }
        } else if (models.isObject()) {
            for (var entries = models.fields(); entries.hasNext(); ) {
                var entry = entries.next();
                mapping.put(modelName(JSON.getNodeFactory().textNode(entry.getKey()), at), modelName(entry.getValue(), at));
            }
        } else {
            throw error(at, "'models' must be an array of names or an object from local name to remote name");
        }
        if (mapping.isEmpty()) {
            throw error(at, "'models' is empty; list the models it serves");
        }
        return mapping;
    }

    private String modelName(JsonNode model, String at) {
        if (!model.isTextual() || model.asText().isBlank()) {
            throw error(at, "each model name must be a non-empty string, got " + model);
        }
        return model.asText();
    }

    private BackendLocation location(JsonNode node, String at) {
        if (node == null || !node.isObject()) {
            throw error(at, "needs a 'location' object: at least its 'operator' and 'country'");
        }
        for (var fields = node.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!LOCATION_FIELDS.contains(field)) {
                throw error(at, "unknown field 'location." + field + "'");
            }
        }
        String operator = text(node, "operator", at + "location: ", true);
        String provider = text(node, "provider", at + "location: ", false);
        String country;
        try {
            country = BackendLocation.country(text(node, "country", at + "location: ", true));
        } catch (IllegalArgumentException e) {
            throw error(at, e.getMessage());
        }
        String jurisdiction = text(node, "jurisdiction", at + "location: ", false);
        if (jurisdiction != null) {
            jurisdiction = jurisdiction.toUpperCase(Locale.ROOT);
            String known = BackendLocation.jurisdictionOf(country);
            if (known != null && !known.equals(jurisdiction)) {
                throw error(at, "location: country " + country + " is under jurisdiction " + known + ", not "
                        + jurisdiction);
            }
        }
        List<String> certifications = new ArrayList<>();
        JsonNode list = node.get("certifications");
        if (list != null) {
            if (!list.isArray()) {
                throw error(at, "'location.certifications' must be an array of strings");
            }
            for (JsonNode certification : list) {
                if (!certification.isTextual() || certification.asText().isBlank()) {
                    throw error(at, "'location.certifications' must be an array of strings");
                }
                certifications.add(certification.asText());
            }
        }
        return new BackendLocation(provider != null ? provider : operator, operator, country,
                text(node, "region", at + "location: ", false), jurisdiction, certifications);
    }

    private String text(JsonNode node, String field, String at, boolean required) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw error(at, "'" + field + "' is missing");
            }
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw error(at, "'" + field + "' must be a non-empty string");
        }
        return value.asText().strip();
    }

    private IllegalArgumentException error(String at, String message) {
        return new IllegalArgumentException("backends file " + file + ": " + at + message);
    }
}
