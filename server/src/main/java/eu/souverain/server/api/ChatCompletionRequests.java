package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.sample.JsonSchema;
import eu.souverain.engine.sample.SamplerConfig;
import eu.souverain.server.backends.ChatRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * Reads a chat completion request: the union of the fields Mistral's and OpenAI's chat APIs
 * document, each checked for its type and range. A field neither documents is refused (422), a
 * documented feature this server does not implement yet is refused by name (400), never
 * silently ignored.
 *
 * <p>JSON mode and JSON schemas constrain the answer token by token; tools are offered to the
 * model through its chat template, and a required or named tool_choice constrains the answer to
 * a call. tool_choice "none" sends no tools at all.
 *
 * <p>Sampling defaults: temperature 0.7 (Mistral's default for its chat models; OpenAI's is 1,
 * which small local models answer too loosely with), top_p 1, and neither top_k nor min_p unless
 * the request sets them (two extensions llama.cpp and vLLM also accept). Presence and frequency
 * penalties count over the last 64 tokens, prompt included, as llama.cpp does. Without a seed,
 * a random one is drawn; choice i of n samples with seed + i.
 */
final class ChatCompletionRequests {

    /** Mistral's documented guardrail prompt, prepended as a system prompt when safe_prompt is true. */
    static final String SAFE_PROMPT = "Always assist with care, respect, and truth. Respond with utmost utility yet "
            + "securely. Avoid harmful, unethical, prejudiced, or negative content. Ensure replies promote fairness "
            + "and positivity.";

    static final int MAX_CHOICES = 8;
    static final float DEFAULT_TEMPERATURE = 0.7f;
    private static final int PENALTY_WINDOW = 64;

    private static final Set<String> FIELDS = Set.of(
            // both APIs
            "model", "messages", "temperature", "top_p", "max_tokens", "stream", "stop", "response_format", "tools",
            "tool_choice", "presence_penalty", "frequency_penalty", "n", "parallel_tool_calls", "prediction", "metadata",
            // Mistral
            "random_seed", "safe_prompt", "prompt_mode",
            // OpenAI
            "seed", "max_completion_tokens", "stream_options", "logprobs", "top_logprobs", "logit_bias", "user",
            "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "store", "modalities", "audio",
            "reasoning_effort", "verbosity", "service_tier", "web_search_options", "functions", "function_call",
            // llama.cpp and vLLM extensions
            "top_k", "min_p");

    private static final Set<String> MESSAGE_FIELDS = Set.of(
            "role", "content", "name", "prefix", "tool_calls", "tool_call_id", "refusal", "function_call", "audio");

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final Pattern FUNCTION_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    /**
     * A checked request: what to run, and how to answer; {@code store}: keep it and its answer as a
     * conversation, with {@code metadata} (empty when none).
     */
    record Call(ChatRequest request, boolean stream, boolean includeUsage, boolean store, Map<String, String> metadata,
                List<String> libraryIds) {}

    private ChatCompletionRequests() {}

    /** {@code defaultModel} serves requests that name none; {@code randomSeed} seeds those that give none. */
    static Call parse(JsonNode body, String defaultModel, LongSupplier randomSeed) {
        requireKnownFields(body, FIELDS, "chat completion");
        refuseUnsupported(body);

        JsonSchema format = responseFormat(body);
        ChatRequest.Tools tools = tools(body);
        if (format != null && tools != null && !(tools.choice() instanceof ChatRequest.ToolChoice.Auto)) {
            throw ApiError.invalid("response_format", "response_format cannot be combined with a tool_choice that"
                    + " requires a call: both would shape the answer");
        }
        String model = string(body, "model");
        Messages messages = messages(body);
        Settings settings = settings(body, randomSeed);
        ChatRequest request = new ChatRequest(model != null ? model : defaultModel,
                new ChatRequest.Conversation(messages.list(), messages.prefix()), settings.sampling(),
                settings.maxTokens(Integer.MAX_VALUE), settings.stops(), settings.choices(), format, tools);
        return new Call(request, settings.stream(), settings.includeUsage(), bool(body, "store", false), metadata(body),
                libraryIds(body));
    }

    /** The generation settings both completion routes share. */
    record Settings(SamplerConfig sampling, Long maxTokens, List<String> stops, int choices, boolean stream,
                    boolean includeUsage) {

        /** The token limit the request gave, else {@code absent}. */
        int maxTokens(int absent) {
            return maxTokens != null ? (int) Math.min(maxTokens, Integer.MAX_VALUE) : absent;
        }
    }

    /** Sampling, limits, choices and streaming, from the fields both completion APIs name alike. */
    static Settings settings(JsonNode body, LongSupplier randomSeed) {
        float temperature = (float) number(body, "temperature", DEFAULT_TEMPERATURE);
        range("temperature", temperature, 0, 2);
        float topP = (float) number(body, "top_p", 1);
        if (!(topP > 0 && topP <= 1)) {
            throw ApiError.invalid("top_p", "top_p must be in (0, 1], got " + topP);
        }
        long topK = integer(body, "top_k", 0);
        if (topK < 0 || topK > Integer.MAX_VALUE) {
            throw ApiError.invalid("top_k", "top_k must be 0 (off) or more, got " + topK);
        }
        float minP = (float) number(body, "min_p", 0);
        range("min_p", minP, 0, 1);
        float presencePenalty = (float) number(body, "presence_penalty", 0);
        range("presence_penalty", presencePenalty, -2, 2);
        float frequencyPenalty = (float) number(body, "frequency_penalty", 0);
        range("frequency_penalty", frequencyPenalty, -2, 2);

        Long seed = agreeing(body, "random_seed", "seed");
        SamplerConfig sampling = new SamplerConfig(temperature, (int) topK, topP, minP, 1f, PENALTY_WINDOW,
                frequencyPenalty, presencePenalty, seed != null ? seed : randomSeed.getAsLong());

        Long maxTokens = agreeing(body, "max_tokens", "max_completion_tokens");
        if (maxTokens != null && maxTokens < 0) {
            throw ApiError.invalid(body.hasNonNull("max_tokens") ? "max_tokens" : "max_completion_tokens",
                    "the token limit must not be negative, got " + maxTokens);
        }
        long n = integer(body, "n", 1);
        if (n < 1 || n > MAX_CHOICES) {
            throw ApiError.invalid("n", "n must be between 1 and " + MAX_CHOICES + ", got " + n);
        }

        boolean stream = bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!streamOptions.isObject()) {
                throw typeError("stream_options", "an object", streamOptions);
            }
            if (!stream) {
                throw ApiError.invalid("stream_options", "stream_options is only allowed when stream is true");
            }
            streamOptions.fieldNames().forEachRemaining(name -> {
                if (!name.equals("include_usage") && !name.equals("include_obfuscation")) {
                    throw ApiError.schema("unknown_field", "stream_options." + name,
                            "unknown field 'stream_options." + name + "'");
                }
            });
            includeUsage = bool(streamOptions, "include_usage", false);
            bool(streamOptions, "include_obfuscation", false);
        }
        return new Settings(sampling, maxTokens, stops(body), (int) n, stream, includeUsage);
    }

    /** Refuses (422) a body that is not an object, or a field neither Mistral's nor OpenAI's {@code api} API has. */
    static void requireKnownFields(JsonNode body, Set<String> fields, String api) {
        if (!body.isObject()) {
            throw ApiError.schema("invalid_type", null, "the body must be a JSON object, got " + kind(body));
        }
        body.fieldNames().forEachRemaining(name -> {
            if (!fields.contains(name)) {
                throw ApiError.schema("unknown_field", name, "unknown field '" + name
                        + "': neither Mistral's nor OpenAI's " + api + " API has it");
            }
        });
    }

    /**
     * Documented features this server does not offer (log probabilities, logit bias, output
     * modalities other than text, OpenAI's deprecated functions): refused by name rather than
     * ignored, since each would change the answer the client expects.
     */
    private static void refuseUnsupported(JsonNode body) {
        JsonNode functions = body.get("functions");
        if (functions != null && !functions.isNull()) {
            if (!functions.isArray()) {
                throw typeError("functions", "an array", functions);
            }
            if (!functions.isEmpty()) {
                throw ApiError.unsupported("functions", "functions (OpenAI's deprecated form of tools) are not"
                        + " supported; send them as tools");
            }
        }
        JsonNode functionCall = body.get("function_call");
        if (functionCall != null && !functionCall.isNull()
                && !(functionCall.isTextual() && List.of("none", "auto").contains(functionCall.asText()))) {
            throw ApiError.unsupported("function_call", "function_call (OpenAI's deprecated form of tool_choice) is"
                    + " not supported; use tool_choice");
        }
        if (bool(body, "logprobs", false)) {
            throw ApiError.unsupported("logprobs", "logprobs are not supported yet");
        }
        if (integer(body, "top_logprobs", 0) != 0) {
            throw ApiError.unsupported("top_logprobs", "top_logprobs are not supported yet");
        }
        JsonNode bias = body.get("logit_bias");
        if (bias != null && !bias.isNull()) {
            if (!bias.isObject()) {
                throw typeError("logit_bias", "an object", bias);
            }
            if (!bias.isEmpty()) {
                throw ApiError.unsupported("logit_bias", "logit_bias is not supported yet");
            }
        }
        JsonNode modalities = body.get("modalities");
        if (modalities != null && !modalities.isNull()) {
            if (!modalities.isArray()) {
                throw typeError("modalities", "an array", modalities);
            }
            for (JsonNode modality : modalities) {
                if (!modality.isTextual()) {
                    throw typeError("modalities", "an array of strings", modalities);
                }
                if (!modality.asText().equals("text")) {
                    throw ApiError.unsupported("modalities", "output modality '" + modality.asText()
                            + "' is not supported yet; only 'text'");
                }
            }
        }
        for (String feature : List.of("audio", "prediction", "reasoning_effort", "verbosity", "web_search_options")) {
            JsonNode value = body.get(feature);
            if (value != null && !value.isNull()) {
                throw ApiError.unsupported(feature, feature + " is not supported yet");
            }
        }
        String promptMode = string(body, "prompt_mode");
        if (promptMode != null) {
            throw ApiError.unsupported("prompt_mode", "prompt_mode '" + promptMode + "' is not supported yet");
        }
        String tier = string(body, "service_tier");
        if (tier != null && !tier.equals("auto") && !tier.equals("default")) {
            throw ApiError.unsupported("service_tier", "service_tier '" + tier + "' is not supported yet");
        }
        // Accepted, and without effect on the answer: one cache and one tier per model here.
        for (String name : List.of("user", "safety_identifier", "prompt_cache_key", "prompt_cache_retention")) {
            string(body, name);
        }
        bool(body, "safe_prompt", false);
        bool(body, "store", false);
        metadata(body);
    }

    /** The request's metadata: an object of strings, kept with a stored conversation. */
    private static Map<String, String> metadata(JsonNode body) {
        JsonNode metadata = body.get("metadata");
        if (metadata == null || metadata.isNull()) {
            return Map.of();
        }
        if (!metadata.isObject()) {
            throw typeError("metadata", "an object of strings", metadata);
        }
        RequestLimits.atMost("metadata", metadata, RequestLimits.MAX_METADATA_PAIRS, "pairs");
        Map<String, String> strings = new LinkedHashMap<>();
        metadata.properties().forEach(entry -> {
            if (!entry.getValue().isTextual()) {
                throw typeError("metadata." + entry.getKey(), "a string", entry.getValue());
            }
            RequestLimits.atMostChars("metadata key", entry.getKey(), RequestLimits.MAX_METADATA_KEY_CHARS);
            RequestLimits.atMostChars("metadata." + entry.getKey(), entry.getValue().asText(),
                    RequestLimits.MAX_METADATA_VALUE_CHARS);
            strings.put(entry.getKey(), entry.getValue().asText());
        });
        return strings;
    }

    /** The JSON documents the answer must be, or null for free text. */
    private static JsonSchema responseFormat(JsonNode body) {
        JsonNode format = body.get("response_format");
        if (format == null || format.isNull()) {
            return null;
        }
        if (!format.isObject()) {
            throw typeError("response_format", "an object", format);
        }
        format.fieldNames().forEachRemaining(name -> {
            if (!name.equals("type") && !name.equals("json_schema")) {
                throw ApiError.schema("unknown_field", "response_format." + name,
                        "unknown field 'response_format." + name + "'");
            }
        });
        String type = string(format, "type", "response_format.type");
        if (type == null) {
            throw ApiError.schema("missing_field", "response_format.type", "response_format needs a 'type'");
        }
        return switch (type) {
            case "text" -> null;
            case "json_object" -> JsonSchema.anyObject();
            case "json_schema" -> {
                JsonNode spec = format.get("json_schema");
                if (spec == null || spec.isNull()) {
                    throw ApiError.schema("missing_field", "response_format.json_schema",
                            "response_format of type 'json_schema' needs a 'json_schema'");
                }
                if (!spec.isObject()) {
                    throw typeError("response_format.json_schema", "an object", spec);
                }
                spec.fieldNames().forEachRemaining(name -> {
                    if (!List.of("name", "description", "schema", "strict").contains(name)) {
                        throw ApiError.schema("unknown_field", "response_format.json_schema." + name,
                                "unknown field 'response_format.json_schema." + name + "'");
                    }
                });
                string(spec, "name", "response_format.json_schema.name");
                string(spec, "description", "response_format.json_schema.description");
                boolean strict = bool(spec, "strict", false, "response_format.json_schema.strict");
                JsonNode schema = spec.get("schema");
                if (schema == null || schema.isNull()) {
                    yield JsonSchema.anyObject();
                }
                try {
                    yield JsonSchema.compile(MAPPER.convertValue(schema, Object.class), strict);
                } catch (IllegalArgumentException e) {
                    throw ApiError.invalid("response_format.json_schema.schema", e.getMessage());
                }
            }
            default -> throw ApiError.invalid("response_format.type",
                    "response_format type must be 'text', 'json_object' or 'json_schema', got '" + type + "'");
        };
    }

    static final String DOCUMENT_LIBRARY = "document_library";

    /**
     * The libraries of Mistral's {@code {"type": "document_library", "library_ids": [...]}} tools,
     * which the server searches itself for the last user message (no function is offered to the
     * model for them), or null when the request has none.
     */
    private static List<String> libraryIds(JsonNode body) {
        JsonNode tools = body.get("tools");
        if (tools == null || !tools.isArray()) {
            return null;
        }
        List<String> ids = null;
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String path = "tools[" + i + "]";
            if (!tool.isObject() || !DOCUMENT_LIBRARY.equals(tool.path("type").asText(null))) {
                continue;
            }
            tool.fieldNames().forEachRemaining(name -> {
                if (!List.of("type", "library_ids", "tool_configuration").contains(name)) {
                    throw ApiError.schema("unknown_field", path + "." + name, "unknown field '" + path + "." + name + "'");
                }
            });
            JsonNode libraries = tool.get("library_ids");
            if (libraries == null || !libraries.isArray() || libraries.isEmpty()) {
                throw ApiError.schema("missing_field", path + ".library_ids", path
                        + " needs 'library_ids', an array of the libraries to search");
            }
            RequestLimits.atMost(path + ".library_ids", libraries, RequestLimits.MAX_TOOLS, "libraries");
            ids = ids == null ? new ArrayList<>() : ids;
            for (JsonNode id : libraries) {
                if (!id.isTextual()) {
                    throw typeError(path + ".library_ids", "an array of strings", libraries);
                }
                if (!ids.contains(id.asText())) {
                    ids.add(id.asText());
                }
            }
        }
        return ids;
    }

    /** The tools offered and whether a call is required, or null for none (no tools, or tool_choice "none"). */
    @SuppressWarnings("unchecked")
    private static ChatRequest.Tools tools(JsonNode body) {
        JsonNode tools = body.get("tools");
        List<Map<String, Object>> definitions = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw typeError("tools", "an array", tools);
            }
            RequestLimits.atMost("tools", tools, RequestLimits.MAX_TOOLS, "tools");
            for (int i = 0; i < tools.size(); i++) {
                String path = "tools[" + i + "]";
                JsonNode tool = tools.get(i);
                if (!tool.isObject()) {
                    throw typeError(path, "an object", tool);
                }
                if (DOCUMENT_LIBRARY.equals(tool.path("type").asText(null))) {
                    continue;
                }
                tool.fieldNames().forEachRemaining(name -> {
                    if (!name.equals("type") && !name.equals("function")) {
                        throw ApiError.schema("unknown_field", path + "." + name, "unknown field '" + path + "." + name + "'");
                    }
                });
                String type = string(tool, "type", path + ".type");
                if (type != null && !type.equals("function")) {
                    throw ApiError.unsupported(path + ".type", "tool type '" + type + "' is not supported; only 'function'");
                }
                JsonNode function = tool.get("function");
                if (function == null || function.isNull()) {
                    throw ApiError.schema("missing_field", path + ".function", path + " needs a 'function'");
                }
                if (!function.isObject()) {
                    throw typeError(path + ".function", "an object", function);
                }
                function.fieldNames().forEachRemaining(name -> {
                    if (!List.of("name", "description", "parameters", "strict").contains(name)) {
                        throw ApiError.schema("unknown_field", path + ".function." + name,
                                "unknown field '" + path + ".function." + name + "'");
                    }
                });
                String name = string(function, "name", path + ".function.name");
                if (name == null) {
                    throw ApiError.schema("missing_field", path + ".function.name", path + ".function needs a 'name'");
                }
                if (!FUNCTION_NAME.matcher(name).matches()) {
                    throw ApiError.invalid(path + ".function.name", "function names are 1 to 64 letters, digits,"
                            + " underscores or dashes, got '" + name + "'");
                }
                if (names.contains(name)) {
                    throw ApiError.invalid(path + ".function.name", "two tools are named '" + name + "'");
                }
                names.add(name);
                string(function, "description", path + ".function.description");
                bool(function, "strict", false, path + ".function.strict");
                JsonNode parameters = function.get("parameters");
                if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
                    throw typeError(path + ".function.parameters", "an object", parameters);
                }
                Map<String, Object> definition = MAPPER.convertValue(tool, Map.class);
                definition.put("type", "function");
                definitions.add(definition);
            }
        }
        boolean parallel = bool(body, "parallel_tool_calls", true);
        JsonNode choice = body.get("tool_choice");
        ChatRequest.ToolChoice toolChoice;
        if (choice == null || choice.isNull()) {
            toolChoice = new ChatRequest.ToolChoice.Auto();
        } else if (choice.isTextual()) {
            toolChoice = switch (choice.asText()) {
                case "none" -> null;
                case "auto" -> new ChatRequest.ToolChoice.Auto();
                case "any", "required" -> new ChatRequest.ToolChoice.Required();
                default -> throw ApiError.invalid("tool_choice", "tool_choice must be 'none', 'auto', 'any',"
                        + " 'required' or a function, got '" + choice.asText() + "'");
            };
        } else if (choice.isObject()) {
            String type = string(choice, "type", "tool_choice.type");
            JsonNode function = choice.get("function");
            if (type != null && !type.equals("function")) {
                throw ApiError.unsupported("tool_choice.type", "tool_choice type '" + type
                        + "' is not supported; only 'function'");
            }
            String name = function != null && function.isObject() ? string(function, "name", "tool_choice.function.name")
                    : null;
            if (name == null) {
                throw ApiError.schema("missing_field", "tool_choice.function.name",
                        "tool_choice naming a function needs 'function': {'name': ...}");
            }
            if (!names.contains(name)) {
                throw ApiError.invalid("tool_choice.function.name", "tool_choice names '" + name
                        + "', which is not among the tools");
            }
            toolChoice = new ChatRequest.ToolChoice.Named(name);
        } else {
            throw typeError("tool_choice", "a string or an object", choice);
        }
        if (toolChoice == null) {
            return null;
        }
        if (definitions.isEmpty()) {
            if (toolChoice instanceof ChatRequest.ToolChoice.Auto) {
                return null;
            }
            throw ApiError.invalid("tool_choice", "tool_choice requires a call, but the request has no tools");
        }
        if (!(toolChoice instanceof ChatRequest.ToolChoice.Auto)) {
            // A required call is generated under its parameters' schema: refuse one that cannot constrain it now.
            for (int i = 0; i < definitions.size(); i++) {
                Object parameters = ((Map<String, Object>) definitions.get(i).get("function")).get("parameters");
                if (parameters != null) {
                    try {
                        JsonSchema.compile(parameters, true);
                    } catch (IllegalArgumentException e) {
                        throw ApiError.invalid("tools[" + i + "].function.parameters", e.getMessage());
                    }
                }
            }
        }
        return new ChatRequest.Tools(definitions, toolChoice, parallel);
    }

    /** The conversation as templates read it, and the assistant prefix its last message may set. */
    private record Messages(List<Map<String, Object>> list, String prefix) {}

    private static Messages messages(JsonNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) {
            throw ApiError.schema("missing_field", "messages", "'messages' is required");
        }
        if (!messages.isArray()) {
            throw typeError("messages", "an array", messages);
        }
        if (messages.isEmpty()) {
            throw ApiError.invalid("messages", "messages must not be empty");
        }
        RequestLimits.atMost("messages", messages, RequestLimits.MAX_MESSAGES, "messages");
        List<Map<String, Object>> list = new ArrayList<>();
        String prefix = null;
        for (int i = 0; i < messages.size(); i++) {
            String path = "messages[" + i + "]";
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                throw typeError(path, "an object", message);
            }
            message.fieldNames().forEachRemaining(name -> {
                if (!MESSAGE_FIELDS.contains(name)) {
                    throw ApiError.schema("unknown_field", path + "." + name, "unknown field '" + path + "." + name + "'");
                }
            });
            String role = string(message, "role", path + ".role");
            if (role == null) {
                throw ApiError.schema("missing_field", path + ".role", path + " needs a 'role'");
            }
            if (!ROLES.contains(role)) {
                throw ApiError.invalid(path + ".role", "unknown role '" + role
                        + "'; expected system, developer, user, assistant or tool");
            }
            for (String feature : List.of("function_call", "audio")) {
                JsonNode value = message.get(feature);
                if (value != null && !value.isNull()) {
                    throw ApiError.unsupported(path + "." + feature, path + "." + feature + " is not supported yet");
                }
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("role", role.equals("developer") ? "system" : role);
            entry.put("content", content(message.get("content"), path + ".content", role));
            String name = string(message, "name", path + ".name");
            if (name != null) {
                entry.put("name", name);
            }
            JsonNode toolCalls = message.get("tool_calls");
            if (toolCalls != null && !toolCalls.isNull()) {
                if (!role.equals("assistant")) {
                    throw ApiError.invalid(path + ".tool_calls", "only assistant messages carry tool_calls");
                }
                if (!toolCalls.isArray()) {
                    throw typeError(path + ".tool_calls", "an array", toolCalls);
                }
                entry.put("tool_calls", toolCalls(toolCalls, path + ".tool_calls"));
            }
            String toolCallId = string(message, "tool_call_id", path + ".tool_call_id");
            if (toolCallId != null) {
                entry.put("tool_call_id", toolCallId);
            }
            string(message, "refusal", path + ".refusal");
            if (bool(message, "prefix", false, path + ".prefix")) {
                if (!role.equals("assistant") || i != messages.size() - 1) {
                    throw ApiError.invalid(path + ".prefix",
                            "prefix is only allowed on the last message, and only if it is the assistant's");
                }
                prefix = (String) entry.get("content");
                continue;
            }
            list.add(entry);
        }
        if (body.hasNonNull("safe_prompt") && body.get("safe_prompt").asBoolean()) {
            if (!list.isEmpty() && list.getFirst().get("role").equals("system")) {
                Map<String, Object> system = new LinkedHashMap<>(list.getFirst());
                system.put("content", SAFE_PROMPT + "\n\n" + system.get("content"));
                list.set(0, system);
            } else {
                list.addFirst(new LinkedHashMap<>(Map.of("role", "system", "content", SAFE_PROMPT)));
            }
        }
        return new Messages(list, prefix);
    }

    /**
     * An assistant's earlier calls, as chat templates read them: the wire's entries with each
     * function's arguments, a JSON string on the wire, decoded into an object.
     */
    @SuppressWarnings("unchecked")
    private static List<Object> toolCalls(JsonNode calls, String path) {
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            JsonNode call = calls.get(i);
            String callPath = path + "[" + i + "]";
            if (!call.isObject()) {
                throw typeError(callPath, "an object", call);
            }
            JsonNode function = call.get("function");
            if (function == null || !function.isObject()) {
                throw ApiError.schema("missing_field", callPath + ".function", callPath + " needs a 'function' object");
            }
            if (string(function, "name", callPath + ".function.name") == null) {
                throw ApiError.schema("missing_field", callPath + ".function.name", callPath + ".function needs a 'name'");
            }
            Map<String, Object> entry = MAPPER.convertValue(call, Map.class);
            Map<String, Object> functionMap = (Map<String, Object>) entry.get("function");
            JsonNode arguments = function.get("arguments");
            if (arguments != null && arguments.isTextual()) {
                try {
                    functionMap.put("arguments", MAPPER.readValue(arguments.asText(), Object.class));
                } catch (IOException e) {
                    throw ApiError.invalid(callPath + ".function.arguments", "arguments must be JSON: " + e.getMessage());
                }
            }
            list.add(entry);
        }
        return list;
    }

    /** A string, or the text parts of an array joined by newlines; null only for an assistant's tool calls. */
    private static String content(JsonNode content, String path, String role) {
        if (content == null || content.isNull()) {
            if (role.equals("assistant")) {
                return "";
            }
            throw ApiError.schema("missing_field", path, path + " is required for a " + role + " message");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw typeError(path, "a string or an array of content parts", content);
        }
        List<String> texts = new ArrayList<>();
        for (int j = 0; j < content.size(); j++) {
            String partPath = path + "[" + j + "]";
            JsonNode part = content.get(j);
            if (!part.isObject()) {
                throw typeError(partPath, "an object", part);
            }
            String type = string(part, "type", partPath + ".type");
            if (type == null) {
                throw ApiError.schema("missing_field", partPath + ".type", partPath + " needs a 'type'");
            }
            if (!type.equals("text")) {
                throw ApiError.unsupported(partPath + ".type", "content part type '" + type
                        + "' is not supported yet; only 'text'");
            }
            String text = string(part, "text", partPath + ".text");
            if (text == null) {
                throw ApiError.schema("missing_field", partPath + ".text", partPath + " needs a 'text'");
            }
            texts.add(text);
        }
        return String.join("\n", texts);
    }

    private static List<String> stops(JsonNode body) {
        JsonNode stop = body.get("stop");
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        List<String> stops = new ArrayList<>();
        if (stop.isTextual()) {
            stops.add(stop.asText());
        } else if (stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw typeError("stop", "a string or an array of strings", stop);
                }
                stops.add(s.asText());
            }
        } else {
            throw typeError("stop", "a string or an array of strings", stop);
        }
        if (stops.contains("")) {
            throw ApiError.invalid("stop", "stop strings must not be empty");
        }
        if (stops.size() > RequestLimits.MAX_STOPS) {
            throw ApiError.invalid("stop", "stop holds " + stops.size() + " strings; at most " + RequestLimits.MAX_STOPS
                    + " are allowed");
        }
        for (String s : stops) {
            RequestLimits.atMostChars("stop", s, RequestLimits.MAX_STOP_CHARS);
        }
        return stops;
    }

    /** One of two names for the same setting (Mistral's and OpenAI's); both may be given if they agree. */
    private static Long agreeing(JsonNode body, String first, String second) {
        Long a = body.hasNonNull(first) ? integer(body, first, 0) : null;
        Long b = body.hasNonNull(second) ? integer(body, second, 0) : null;
        if (a != null && b != null && !a.equals(b)) {
            throw ApiError.invalid(second, first + " (" + a + ") and " + second + " (" + b
                    + ") name the same setting and disagree");
        }
        return a != null ? a : b;
    }

    private static void range(String name, float value, float min, float max) {
        if (!(value >= min && value <= max)) {
            throw ApiError.invalid(name, name + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    static String string(JsonNode node, String name) {
        return string(node, name, name);
    }

    static String string(JsonNode node, String name, String path) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw typeError(path, "a string", value);
        }
        return value.asText();
    }

    static boolean bool(JsonNode node, String name, boolean absent) {
        return bool(node, name, absent, name);
    }

    private static boolean bool(JsonNode node, String name, boolean absent, String path) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isBoolean()) {
            throw typeError(path, "a boolean", value);
        }
        return value.asBoolean();
    }

    private static double number(JsonNode node, String name, double absent) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isNumber()) {
            throw typeError(name, "a number", value);
        }
        return value.asDouble();
    }

    static long integer(JsonNode node, String name, long absent) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isNumber() || !(value.canConvertToExactIntegral() && value.canConvertToLong())) {
            throw typeError(name, "an integer", value);
        }
        return value.asLong();
    }

    static ApiError typeError(String path, String expected, JsonNode got) {
        return ApiError.schema("invalid_type", path, "'" + path + "' must be " + expected + ", got " + kind(got));
    }

    static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
