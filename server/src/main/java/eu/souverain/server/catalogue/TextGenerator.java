package eu.souverain.server.catalogue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.prompt.ToolCall;
import eu.souverain.engine.sample.JsonSchema;
import eu.souverain.engine.sample.SamplerConfig;
import eu.souverain.server.backends.ChatRequest;
import eu.souverain.server.backends.Completion;
import eu.souverain.server.backends.GenerationSink;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.provenance.SignedStatement;
import eu.souverain.server.tenancy.Principal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Writes a product's fields in one language with one model call through {@link ModelCalls}, so
 * that the caller's residency policy, groups, limits, audit and usage apply as to any other call.
 * The answer is constrained to a JSON object with one string per field, each within the field's
 * length; what comes back is then made to fit the field whatever the model did ({@link ShopField#conform}),
 * and stated AI-generated, signed.
 */
final class TextGenerator {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String ENDPOINT = "/v1/catalogue/jobs";

    /** A field's text, as it will be written, with its provenance statement. */
    record Text(String text, SignedStatement provenance) {}

    private final ModelCalls calls;
    private final Principal caller;
    private final String clientIp;
    private final String model;
    private final String tone;
    private final int maxTokens;

    TextGenerator(ModelCalls calls, Principal caller, String clientIp, EnrichmentSettings settings) {
        this.calls = calls;
        this.caller = caller;
        this.clientIp = clientIp;
        this.model = settings.model() != null ? settings.model() : calls.defaultModel();
        this.tone = settings.tone();
        this.maxTokens = settings.maxTokens();
    }

    String model() {
        return model;
    }

    /** The {@code fields} of {@code product} in {@code language}, or an exception saying why not. */
    Map<ShopField, Text> generate(Product product, ShopLanguage language, List<ShopField> fields) throws IOException {
        ChatRequest request = new ChatRequest(model, new ChatRequest.Conversation(messages(product, language, fields), null),
                SamplerConfig.defaults().withTemperature(0.7f), maxTokens, List.of(), 1, schema(fields), null);
        StringBuilder answer = new StringBuilder();
        boolean[] cut = {false};
        String id = "catalogue-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        try (ModelCalls.Call call = calls.open(caller, clientIp, ENDPOINT, request)) {
            Completion completion = call.start().drain(new GenerationSink() {
                @Override
                public void text(int choice, String text) {
                    answer.append(text);
                    call.produced();
                }

                @Override
                public void toolCalls(int choice, List<ToolCall> toolCalls) {
                }

                @Override
                public void finished(int choice, FinishReason finish) {
                    cut[0] = finish != FinishReason.STOP;
                }
            });
            call.completed(completion);
            JsonNode json;
            try {
                json = JSON.readTree(answer.toString());
            } catch (IOException e) {
                call.failed();
                throw new IOException("the model's answer for product " + product.id() + " in " + language.isoCode()
                        + " is not the JSON object asked for"
                        + (cut[0] ? ": it ran out of tokens first (raise the max tokens)" : ""));
            }
            Map<ShopField, Text> texts = new LinkedHashMap<>();
            for (ShopField field : fields) {
                String text = field.conform(json.path(field.wireName()).asText(""));
                if (text.isBlank()) {
                    continue;
                }
                texts.put(field, new Text(text, call.provenance(id + "-" + field.wireName(), created, text)));
            }
            return texts;
        }
    }

    /** An object with one non-empty string per field, each at most the field's length. */
    static JsonSchema schema(List<ShopField> fields) {
        Map<String, Object> properties = new LinkedHashMap<>();
        for (ShopField field : fields) {
            properties.put(field.wireName(), Map.of("type", "string", "minLength", 1, "maxLength", field.maxLength()));
        }
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        schema.put("required", fields.stream().map(ShopField::wireName).toList());
        schema.put("additionalProperties", false);
        return JsonSchema.compile(schema, true);
    }

    private List<Map<String, Object>> messages(Product product, ShopLanguage language, List<ShopField> fields) {
        int lang = language.id();
        StringBuilder system = new StringBuilder("You write product texts for an online shop, in the language whose"
                + " ISO code is '" + language.isoCode() + "'. Answer with one JSON object holding these fields: ");
        List<String> rules = new ArrayList<>();
        for (ShopField field : fields) {
            rules.add(field.wireName() + (field.html()
                    ? " (simple HTML: p, ul, li, strong, em; at most " + field.maxLength() + " characters)"
                    : " (plain text, no HTML, at most " + field.maxLength() + " characters)"));
        }
        system.append(String.join("; ", rules)).append('.');
        if (tone != null) {
            system.append(" Tone: ").append(tone).append('.');
        }
        StringBuilder user = new StringBuilder("Product: ").append(product.name().getOrDefault(lang, ""));
        if (!product.reference().isBlank()) {
            user.append("\nReference: ").append(product.reference());
        }
        String category = product.category().getOrDefault(lang, "");
        if (!category.isBlank()) {
            user.append("\nCategory: ").append(category);
        }
        List<String> features = product.features().getOrDefault(lang, List.of());
        if (!features.isEmpty()) {
            user.append("\nFeatures: ").append(String.join("; ", features));
        }
        for (ShopField field : ShopField.values()) {
            String existing = ShopText.plain(product.text(field, lang), 400);
            if (!existing.isBlank()) {
                user.append("\nCurrent ").append(field.wireName().replace('_', ' ')).append(": ").append(existing);
            }
        }
        return List.of(Map.of("role", "system", "content", system.toString()),
                Map.of("role", "user", "content", user.toString().toLowerCase(Locale.ROOT).equals("product: ")
                        ? "Product #" + product.id() : user.toString()));
    }
}
