package eu.souverain.engine.prompt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a family of models writes function calls, chosen by its vocabulary: Mistral's
 * {@code [TOOL_CALLS]} followed by a JSON array, Llama 3's bare JSON object with "parameters", and
 * Hermes' (Qwen, ChatML models) JSON object between {@code <tool_call>} tags.
 */
public enum ToolCallFormat {

    /** {@code [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]}. */
    MISTRAL("[TOOL_CALLS]", "arguments"),
    /** {@code {"name": ..., "parameters": {...}}}, one call per answer. */
    LLAMA3("", "parameters"),
    /** {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}, one or more blocks. */
    HERMES("<tool_call>\n", "arguments");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final Pattern HERMES_CALL = Pattern.compile("<tool_call>\\s*(.*?)\\s*(?:</tool_call>|$)", Pattern.DOTALL);

    private final String opening;
    private final String argumentsKey;

    ToolCallFormat(String opening, String argumentsKey) {
        this.opening = opening;
        this.argumentsKey = argumentsKey;
    }

    public static ToolCallFormat of(Tokenizer tokenizer) {
        if (tokenizer.findToken("[TOOL_CALLS]").isPresent()) {
            return MISTRAL;
        }
        if (tokenizer.findToken("<|start_header_id|>").isPresent()) {
            return LLAMA3;
        }
        if (tokenizer.findToken("<tool_call>").isPresent() || tokenizer.findToken("<|im_start|>").isPresent()) {
            return HERMES;
        }
        return MISTRAL;
    }

    /** What opens a call; a required call's prompt ends with it, so that the answer is the JSON alone. */
    public String opening() {
        return opening;
    }

    /**
     * The JSON schema (as decoded JSON) of what follows {@link #opening} when a call is required:
     * a call of one of the tools, or of {@code onlyName}, several in Mistral's array if
     * {@code parallel}.
     */
    public Map<String, Object> schema(List<Map<String, Object>> tools, String onlyName, boolean parallel) {
        List<Object> calls = new ArrayList<>();
        for (Map<String, Object> tool : tools) {
            Map<?, ?> function = (Map<?, ?>) tool.get("function");
            String name = (String) function.get("name");
            if (onlyName != null && !onlyName.equals(name)) {
                continue;
            }
            Object parameters = function.get("parameters");
            Map<String, Object> properties = new LinkedHashMap<>();
            properties.put("name", Map.of("const", name));
            properties.put(argumentsKey, parameters != null ? parameters : Map.of("type", "object"));
            calls.add(Map.of("type", "object", "properties", properties, "required", List.of("name", argumentsKey),
                    "additionalProperties", false));
        }
        Object call = calls.size() == 1 ? calls.getFirst() : Map.of("anyOf", calls);
        if (this != MISTRAL) {
            return withDefinitions((Map<?, ?>) call, tools);
        }
        Map<String, Object> array = new LinkedHashMap<>();
        array.put("type", "array");
        array.put("items", call);
        array.put("minItems", 1);
        if (!parallel) {
            array.put("maxItems", 1);
        }
        return withDefinitions(array, tools);
    }

    /** The schema with the tools' $defs, which their parameters' $refs point to from the document's root. */
    private static Map<String, Object> withDefinitions(Map<?, ?> schema, List<Map<String, Object>> tools) {
        Map<String, Object> result = new LinkedHashMap<>();
        schema.forEach((k, v) -> result.put((String) k, v));
        Map<String, Object> defs = new LinkedHashMap<>();
        for (Map<String, Object> tool : tools) {
            if (((Map<?, ?>) tool.get("function")).get("parameters") instanceof Map<?, ?> parameters) {
                for (String key : List.of("$defs", "definitions")) {
                    if (parameters.get(key) instanceof Map<?, ?> definitions) {
                        definitions.forEach((k, v) -> defs.put((String) k, v));
                    }
                }
            }
        }
        if (!defs.isEmpty()) {
            result.put("$defs", defs);
            result.put("definitions", defs);
        }
        return result;
    }

    /** What a model is told about the tools when its chat template says nothing of them. */
    public String instructions(List<Map<String, Object>> tools) {
        String example = switch (this) {
            case MISTRAL -> "[TOOL_CALLS][{\"name\": \"function_name\", \"arguments\": {...}}]";
            case LLAMA3 -> "{\"name\": \"function_name\", \"parameters\": {...}}";
            case HERMES -> "<tool_call>\n{\"name\": \"function_name\", \"arguments\": {...}}\n</tool_call>";
        };
        try {
            return "You can call these functions:\n" + JSON.writeValueAsString(tools)
                    + "\nTo call a function, answer with nothing but: " + example;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A call the assistant made earlier, written as this format writes it (for templates that know no tool_calls). */
    public String write(List<?> toolCalls) {
        List<String> calls = new ArrayList<>();
        for (Object entry : toolCalls) {
            Map<?, ?> function = entry instanceof Map<?, ?> call && call.get("function") instanceof Map<?, ?> f ? f : Map.of();
            Map<String, Object> written = new LinkedHashMap<>();
            written.put("name", function.get("name"));
            written.put(argumentsKey, function.get("arguments"));
            try {
                calls.add(JSON.writeValueAsString(written));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return switch (this) {
            case MISTRAL -> opening + "[" + String.join(", ", calls) + "]";
            case LLAMA3 -> String.join("\n", calls);
            case HERMES -> String.join("\n", calls.stream().map(c -> "<tool_call>\n" + c + "\n</tool_call>").toList());
        };
    }

    /**
     * Whether an answer that starts with {@code start} may still turn out to be a call; while it
     * may, a streamed answer is held back.
     */
    public boolean mayOpen(String start) {
        String text = start.stripLeading();
        for (String open : switch (this) {
            case MISTRAL -> List.of(opening, "[{");
            case LLAMA3 -> List.of("<|python_tag|>", "{");
            case HERMES -> List.of(opening.strip());
        }) {
            if (open.startsWith(text) || text.startsWith(open)) {
                return true;
            }
        }
        return false;
    }

    /** The calls a whole answer makes, with fresh ids; null when it is not a well-formed call. */
    public List<ToolCall> parse(String answer) {
        String text = answer.strip();
        List<JsonNode> calls = new ArrayList<>();
        try {
            switch (this) {
                case MISTRAL -> {
                    if (text.startsWith(opening)) {
                        text = text.substring(opening.length()).strip();
                    }
                    JsonNode parsed = JSON.readTree(text);
                    if (parsed != null && parsed.isArray()) {
                        parsed.forEach(calls::add);
                    } else if (parsed != null) {
                        calls.add(parsed);
                    }
                }
                case LLAMA3 -> {
                    if (text.startsWith("<|python_tag|>")) {
                        text = text.substring("<|python_tag|>".length()).strip();
                    }
                    calls.add(JSON.readTree(text));
                }
                case HERMES -> {
                    Matcher matcher = HERMES_CALL.matcher(text);
                    int end = 0;
                    while (matcher.find() && matcher.start() == end) {
                        calls.add(JSON.readTree(matcher.group(1)));
                        end = matcher.end();
                        while (end < text.length() && Character.isWhitespace(text.charAt(end))) {
                            end++;
                        }
                    }
                    if (calls.isEmpty() || end != text.length()) {
                        return null;
                    }
                }
            }
        } catch (JsonProcessingException e) {
            return null;
        }
        List<ToolCall> result = new ArrayList<>();
        for (JsonNode call : calls) {
            if (call == null || !call.isObject() || !call.path("name").isTextual()) {
                return null;
            }
            JsonNode arguments = call.has(argumentsKey) ? call.get(argumentsKey)
                    : call.has("arguments") ? call.get("arguments") : call.get("parameters");
            if (arguments != null && arguments.isTextual()) {
                try {
                    arguments = JSON.readTree(arguments.asText());
                } catch (JsonProcessingException e) {
                    return null;
                }
            }
            if (arguments == null || !arguments.isObject()) {
                return null;
            }
            result.add(new ToolCall(newId(), call.get("name").asText(), arguments.toString()));
        }
        return result.isEmpty() ? null : result;
    }

    /** Nine letters and digits: the ids Mistral's API accepts back, and any id suits OpenAI's clients. */
    public static String newId() {
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
        }
        return id.toString();
    }
}
