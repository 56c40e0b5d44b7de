package eu.souverain.server.catalogue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What an enrichment job does, without the key: which shop, languages (ISO codes), fields and
 * products, with which model and tone, whether it may overwrite filled fields, whether it only
 * proposes (dry run), how many products it works on at once and how it writes.
 *
 * @param model the model's name, or null for the server's default
 * @param tone the tone asked of the texts, or null
 * @param maxTokens tokens each product and language may generate, at most
 * @param fromReview the dry run whose reviewed proposals this job writes instead of generating, or null
 */
public record EnrichmentSettings(String shopUrl, List<String> languages, List<ShopField> fields,
                                 ProductSelection selection, String model, String tone, boolean overwrite,
                                 boolean dryRun, int concurrency, WriteMethod writeMethod, int maxTokens,
                                 String fromReview) {

    public static final int MAX_CONCURRENCY = 16;
    public static final int MAX_TONE = 200;
    public static final int MAX_LANGUAGES = 20;
    public static final int DEFAULT_MAX_TOKENS = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    public EnrichmentSettings {
        PrestaShop.apiOf(shopUrl);
        languages = languages.stream().map(l -> l.strip().toLowerCase(Locale.ROOT)).filter(l -> !l.isEmpty())
                .distinct().toList();
        if (languages.isEmpty() || languages.size() > MAX_LANGUAGES) {
            throw new IllegalArgumentException("name between 1 and " + MAX_LANGUAGES + " languages by ISO code, e.g. fr,en");
        }
        for (String language : languages) {
            if (!language.matches("[a-z]{2,3}(-[a-z]{2})?")) {
                throw new IllegalArgumentException("'" + language + "' is not a language ISO code such as fr or en");
            }
        }
        fields = List.copyOf(fields);
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("name at least one field");
        }
        if (tone != null && (tone.isBlank() || tone.length() > MAX_TONE)) {
            throw new IllegalArgumentException("the tone must be 1 to " + MAX_TONE + " characters");
        }
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw new IllegalArgumentException("concurrency must be between 1 and " + MAX_CONCURRENCY + ", was "
                    + concurrency);
        }
        if (maxTokens < 16 || maxTokens > 8192) {
            throw new IllegalArgumentException("max tokens must be between 16 and 8192, was " + maxTokens);
        }
    }

    /** The settings as stored with a job and shown by the API. */
    public Map<String, Object> json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("shop", shopUrl);
        json.put("languages", languages);
        json.put("fields", fields.stream().map(ShopField::wireName).toList());
        json.put("products", selection.products());
        json.put("category", selection.category());
        json.put("model", model);
        json.put("tone", tone);
        json.put("overwrite", overwrite);
        json.put("dry_run", dryRun);
        json.put("concurrency", concurrency);
        json.put("write_method", writeMethod.name().toLowerCase(Locale.ROOT));
        json.put("max_tokens", maxTokens);
        json.put("from_review", fromReview);
        return json;
    }

    /** These settings writing the reviewed proposals of the dry run {@code jobId}. */
    public EnrichmentSettings applying(String jobId) {
        if (!dryRun) {
            throw new IllegalArgumentException("job " + jobId + " is not a dry run: it has no proposals to write");
        }
        return new EnrichmentSettings(shopUrl, languages, fields, selection, model, tone, overwrite, false, concurrency,
                writeMethod, maxTokens, jobId);
    }

    public String jsonText() {
        try {
            return JSON.writeValueAsString(json());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static EnrichmentSettings fromJson(String text) {
        try {
            JsonNode json = JSON.readTree(text);
            List<String> languages = new ArrayList<>();
            json.path("languages").forEach(l -> languages.add(l.asText()));
            List<ShopField> fields = new ArrayList<>();
            json.path("fields").forEach(f -> fields.add(ShopField.of(f.asText())));
            return new EnrichmentSettings(json.path("shop").asText(), languages, fields,
                    new ProductSelection(textOrNull(json, "products"),
                            json.path("category").isNumber() ? json.path("category").asInt() : null),
                    textOrNull(json, "model"), textOrNull(json, "tone"), json.path("overwrite").asBoolean(),
                    json.path("dry_run").asBoolean(), json.path("concurrency").asInt(1),
                    WriteMethod.of(json.path("write_method").asText("auto")),
                    json.path("max_tokens").asInt(DEFAULT_MAX_TOKENS), textOrNull(json, "from_review"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String textOrNull(JsonNode json, String field) {
        return json.path(field).isTextual() ? json.path(field).asText() : null;
    }

    /**
     * The id of the command-line job these settings make in {@code organizationId}: the same
     * command run again resumes it, skipping what it already wrote.
     */
    public String commandLineJobId(String organizationId) {
        try {
            // How many products run at once changes nothing of what is written: a re-run may change it.
            Map<String, Object> identity = json();
            identity.remove("concurrency");
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((organizationId + "\n" + PrestaShop.apiOf(shopUrl)
                    + "\n" + JSON.writeValueAsString(identity)).getBytes(StandardCharsets.UTF_8));
            return "catjob_" + HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
