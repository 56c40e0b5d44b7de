package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.ChatRequest;
import eu.souverain.server.backends.Completion;
import eu.souverain.server.calls.ModelCalls;
import eu.souverain.server.conversations.Conversations;
import eu.souverain.server.conversations.Conversations.NewMessage;
import eu.souverain.server.documents.Documents;
import eu.souverain.server.privacy.Export;
import eu.souverain.server.provenance.SignedStatement;
import eu.souverain.server.sovereignty.SovereigntyReport;
import eu.souverain.server.tenancy.Labels;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Scope;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stored conversations over HTTP, for the web app and scripts (their lifecycle, retention,
 * erasure and export, is {@link PrivacyRoutes}'). A conversation is its owner's: only the user or
 * API key that made it reads, changes or continues it; an organization's administrators may also
 * erase it, never read it. Another organization's id answers the same 404 as a missing one.
 * Auditors have no chat scope, so every conversation route refuses them.
 */
final class ConversationsRoutes {

    static final long MAX_BODY_BYTES = 1L << 20;
    private static final Set<String> CONVERSATION_FIELDS = Set.of("title", "system_prompt", "model", "temperature",
            "metadata", "messages");
    private static final Set<String> UPDATE_FIELDS = Set.of("title", "system_prompt", "model", "temperature");
    private static final Set<String> COMPLETION_FIELDS = Set.of("content", "model", "stream", "stream_options",
            "max_tokens", "temperature", "top_p", "seed", "stop", "style", "library_ids");
    /**
     * The reply styles a conversation's completion may ask for, as the instruction that opens its
     * system prompt. Kept here, not in the web app, so that every client gets the same styles and
     * a conversation's stored system prompt stays the person's own.
     */
    static final Map<String, String> STYLES = Map.of(
            "conversational", "Reply the way a person talks: briefly and naturally, in plain sentences, in the"
                    + " language of the question. Use no headings, lists or tables unless asked for them.",
            "structured", "Reply in a structured way: start with the answer in one sentence, then organize the"
                    + " details with short Markdown headings, bullet lists, tables and code blocks where they help.");
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?…](\\s|$)");
    /** A title made from a first message is at most this long. */
    static final int TITLE_FROM_MESSAGE_CHARS = 60;
    static final String CONVERSATION_HEADER = "Souverain-Conversation-Id";

    private final Conversations conversations;
    private final SovereigntyReport report;
    private final Generations generations;
    private final RequestBodies bodies;
    private final Grounding grounding;
    private final Documents documents;

    ConversationsRoutes(Conversations conversations, SovereigntyReport report, Generations generations,
                        RequestBodies bodies, Grounding grounding, Documents documents) {
        this.grounding = grounding;
        this.documents = documents;
        this.conversations = conversations;
        this.report = report;
        this.generations = generations;
        this.bodies = bodies;
    }

    /** The caller as a conversation's owner: its user key encrypts, or for an API key its organization's. */
    static Conversations.Owner owner(Principal principal) {
        return new Conversations.Owner(principal.organizationId(), principal.actorId(),
                principal.isUser() ? principal.actorId() : null);
    }

    /** GET /v1/conversations[?q=text]: the caller's, newest first, without messages. */
    void list(Context ctx) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Conversations.Conversation c : conversations.list(owner(Authentication.principal(ctx)), ctx.queryParam("q"))) {
            Map<String, Object> json = Export.json(c);
            json.remove("messages");
            data.add(json);
        }
        Json.respond(ctx, 200, Map.of("object", "list", "data", data));
    }

    /** POST /v1/conversations: {title?, system_prompt?, model?, temperature?, metadata?, messages?}. */
    void create(Context ctx) throws IOException {
        RequestFields body = body(ctx, CONVERSATION_FIELDS);
        Map<String, String> metadata = metadata(body.node("metadata"));
        Conversations.Conversation created = conversations.create(owner(Authentication.principal(ctx)), fields(body, metadata),
                messages(body.node("messages")), ctx.ip());
        Json.respond(ctx, 201, Export.json(created));
    }

    void get(Context ctx) {
        Json.respond(ctx, 200, Export.json(conversations.get(owner(Authentication.principal(ctx)), ctx.pathParam("id"),
                ctx.ip())));
    }

    /**
     * GET /v1/conversations/{id}/sovereignty: where the conversation is stored, under which key, who
     * can reach it, which backend answered each message, and the libraries its answers drew from
     * (those the caller may still read); its content stays encrypted.
     */
    void sovereignty(Context ctx) {
        Principal principal = Authentication.principal(ctx);
        Conversations.Stored stored = conversations.stored(owner(principal), ctx.pathParam("id"), ctx.ip());
        Map<String, Integer> cited = new LinkedHashMap<>();
        for (Conversations.StoredMessage message : stored.messages()) {
            if (message.answer() != null) {
                message.answer().references().stream().map(r -> r.get("library_id")).filter(String.class::isInstance)
                        .map(String.class::cast).distinct().forEach(id -> cited.merge(id, 1, Integer::sum));
            }
        }
        ObjectNode facts = report.conversation(stored);
        facts.set("libraries", documents.cited(principal, cited));
        Json.respond(ctx, 200, facts);
    }

    /** PATCH /v1/conversations/{id}: {title?, system_prompt?, model?, temperature?}. */
    void update(Context ctx) throws IOException {
        RequestFields body = body(ctx, UPDATE_FIELDS);
        Json.respond(ctx, 200, Export.json(conversations.update(owner(Authentication.principal(ctx)), ctx.pathParam("id"),
                fields(body, null), ctx.ip())));
    }

    /** DELETE /v1/conversations/{id}: its owner, or an administrator of its organization. */
    void delete(Context ctx) {
        Principal by = Authentication.principal(ctx);
        conversations.delete(owner(by), ctx.pathParam("id"), by.has(Scope.ADMIN), ctx.ip());
        ctx.status(204);
    }

    /** POST /v1/conversations/{id}/messages: {role, content}, kept as it is; nothing is generated. */
    void append(Context ctx) throws IOException {
        RequestFields body = body(ctx, Set.of("role", "content"));
        String role = body.requiredString("role");
        if (!ROLES.contains(role)) {
            throw ApiError.invalid("role", "role must be one of system, user, assistant, tool; was '" + role + "'");
        }
        Conversations.Message appended = conversations.append(owner(Authentication.principal(ctx)), ctx.pathParam("id"),
                List.of(new NewMessage(role, body.requiredString("content"), null)), ctx.ip()).getFirst();
        Json.respond(ctx, 201, Export.json(appended));
    }

    /**
     * DELETE /v1/conversations/{id}/messages/{messageId}: the message and every later one, so that
     * the conversation goes on from just before it. Its owner only.
     */
    void truncate(Context ctx) {
        conversations.truncate(owner(Authentication.principal(ctx)), ctx.pathParam("id"), ctx.pathParam("messageId"),
                ctx.ip());
        ctx.status(204);
    }

    /**
     * POST /v1/conversations/{id}/completions: {content, model?, stream?, style?, ...}. Adds the user's
     * message to the whole conversation (system prompt and history first), answers it as a chat
     * completion, streamed or not, and keeps the message and the answer, with the backend that gave it.
     * A {@code style} ({@link #STYLES}) opens the system prompt; a conversation without a title is
     * named after its first message; the oldest turns that do not fit the model's context are left
     * out of the prompt.
     */
    void complete(Context ctx) throws IOException {
        Principal principal = Authentication.principal(ctx);
        Conversations.Owner owner = owner(principal);
        RequestFields body = body(ctx, COMPLETION_FIELDS);
        String content = body.requiredString("content");
        Conversations.Conversation conversation = conversations.get(owner, ctx.pathParam("id"), ctx.ip());
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        String style = body.string("style");
        if (style != null && !STYLES.containsKey(style)) {
            throw ApiError.invalid("style", "style must be one of " + String.join(", ", STYLES.keySet().stream().sorted()
                    .toList()) + "; was '" + style + "'");
        }
        for (String name : COMPLETION_FIELDS) {
            JsonNode value = body.node(name);
            if (value != null && !name.equals("content") && !name.equals("style") && !name.equals("library_ids")) {
                request.set(name, value);
            }
        }
        JsonNode libraries = body.node("library_ids");
        if (libraries != null && !libraries.isNull() && !libraries.isEmpty()) {
            // Searched as Mistral's document_library tool is, for the new message.
            ObjectNode tool = request.putArray("tools").addObject();
            tool.put("type", ChatCompletionRequests.DOCUMENT_LIBRARY);
            tool.set("library_ids", libraries);
        }
        if (!request.has("model") && conversation.model() != null) {
            request.put("model", conversation.model());
        }
        if (!request.has("temperature") && conversation.temperature() != null) {
            request.put("temperature", conversation.temperature());
        }
        String system = systemPrompt(style == null ? null : STYLES.get(style), conversation.systemPrompt());
        List<Conversations.Message> history = conversation.messages();
        if (!history.isEmpty() && history.getLast().role().equals("user")) {
            // Its answer was cut off (a client gone, the server killed): marked so, the question goes with the new one.
            history = new ArrayList<>(history);
            history.addAll(conversations.append(owner, conversation.id(), List.of(NewMessage.interruptedAnswer()),
                    ctx.ip()));
        }
        boolean untitled = conversation.title().isEmpty() && history.stream().noneMatch(m -> m.role().equals("user"));
        // A conversation outgrows its model's context: the oldest turns it cannot hold are left out
        // of the prompt (they stay kept), down to the new message alone; one model call. A local model
        // finds where to start itself (OldestTurns); a remote one is asked again with one turn fewer.
        int from = 0;
        while (history.size() - from > RequestLimits.MAX_MESSAGES - 2) {
            from = nextTurn(history, from);
        }
        ModelCalls.Call modelCall = null;
        try {
            for (; ; from = nextTurn(history, from)) {
                ArrayNode messages = request.putArray("messages");
                if (!system.isEmpty()) {
                    messages.addObject().put("role", "system").put("content", system);
                }
                for (Conversations.Message m : history.subList(from, history.size())) {
                    if (!m.interrupted()) {
                        asked(messages, m.role(), m.content());
                    }
                }
                asked(messages, "user", content);
                ChatCompletionRequests.Call call = ChatCompletionRequests.parse(request, generations.defaultModel(),
                        Generations.RANDOM::nextLong);
                Grounding.Grounded grounded = call.libraryIds() == null ? Grounding.Grounded.none(call.request())
                        : grounding.ground(ctx, call.request(), call.libraryIds());
                Generations.Keeper keeper = keeper(owner, conversation.id(),
                        List.of(new NewMessage("user", content, null)), call.request().model(), grounded.kept(), ctx.ip());
                try {
                    if (modelCall == null) {
                        modelCall = generations.open(ctx, oldestTurnsLeftOut(grounded.request()));
                    } else {
                        generations.retry(modelCall, oldestTurnsLeftOut(grounded.request()));
                    }
                    generations.answer(ctx, modelCall, call.stream(), call.includeUsage(), ChatCompletionsRoute.WIRE,
                            untitled ? namingAfter(content, keeper, owner, conversation.id(), ctx.ip()) : keeper,
                            grounded.closing());
                    return;
                } catch (ApiError e) {
                    // Refused before anything was sent: a remote model can still be asked again, shorter; a
                    // local one has already left out all it could.
                    if (modelCall == null || !e.code().equals("context_length_exceeded") || from == history.size()
                            || !modelCall.backend().remote()) {
                        throw e;
                    }
                }
            }
        } finally {
            if (modelCall != null) {
                modelCall.close();
            }
        }
    }

    /**
     * Adds a message to the prompt's; a user message after one left unanswered (its answer
     * interrupted) joins it, so that both are answered and the roles still alternate.
     */
    private static void asked(ArrayNode messages, String role, String content) {
        JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
        if (role.equals("user") && last != null && last.get("role").asText().equals("user")) {
            ((ObjectNode) last).put("content", last.get("content").asText() + "\n\n" + content);
        } else {
            messages.addObject().put("role", role).put("content", content);
        }
    }

    /** {@code request}, asking the model to leave out the oldest turns its context cannot hold. */
    private static ChatRequest oldestTurnsLeftOut(ChatRequest request) {
        ChatRequest.Conversation prompt = (ChatRequest.Conversation) request.prompt();
        return new ChatRequest(request.model(), new ChatRequest.Conversation(prompt.messages(), prompt.assistantPrefix(),
                true), request.sampling(), request.maxTokens(), request.stops(), request.choices(), request.format(),
                request.tools());
    }

    /** Keeps the turn as {@code keeper} does, then names the conversation after its first message. */
    private Generations.Keeper namingAfter(String firstMessage, Generations.Keeper keeper, Conversations.Owner owner,
                                           String id, String clientIp) {
        return new Generations.Keeper() {
            @Override
            public String conversationId() {
                return keeper.conversationId();
            }

            @Override
            public void keep(String text, Completion completion, Backend backend, SignedStatement provenance) {
                keeper.keep(text, completion, backend, provenance);
                conversations.update(owner, id, new Conversations.Fields(title(firstMessage), null, null, null, null),
                        clientIp);
            }
        };
    }

    /** Where the history starts once its turn at {@code from} is left out: its next user message, or its end. */
    private static int nextTurn(List<Conversations.Message> history, int from) {
        for (int i = from + 1; i < history.size(); i++) {
            if (history.get(i).role().equals("user")) {
                return i;
            }
        }
        return history.size();
    }

    /** The style's instruction, then the conversation's own system prompt; either may be missing. */
    private static String systemPrompt(String styleInstruction, String own) {
        boolean hasOwn = own != null && !own.isBlank();
        if (styleInstruction == null) {
            return hasOwn ? own : "";
        }
        return hasOwn ? styleInstruction + "\n\n" + own : styleInstruction;
    }

    /**
     * A title for a conversation from its first message: the first sentence of its first line, and
     * when that is long, cut at a word boundary with an ellipsis.
     */
    static String title(String message) {
        String first = message.replace('\u2028', '\n').replace('\u2029', '\n').strip().lines()
                .filter(l -> !l.isBlank()).findFirst().orElse("");
        // A title is a label: what would reorder or hide how it reads is left out.
        String line = Labels.withoutHidden(first.replaceAll("\\s+", " ")).strip();
        Matcher sentence = SENTENCE_END.matcher(line);
        if (sentence.find() && sentence.start() > 0) {
            char end = line.charAt(sentence.start());
            line = line.substring(0, end == '.' ? sentence.start() : sentence.start() + 1);
        }
        if (line.length() <= TITLE_FROM_MESSAGE_CHARS) {
            return line;
        }
        int cut = line.lastIndexOf(' ', TITLE_FROM_MESSAGE_CHARS - 1);
        String kept = cut >= TITLE_FROM_MESSAGE_CHARS / 2 ? line.substring(0, cut) : line.substring(0,
                TITLE_FROM_MESSAGE_CHARS - 1);
        return kept.replaceAll("[\\s,;:.-]+$", "") + "…";
    }

    /**
     * Keeps a turn of conversation {@code id}: {@code asked} (the user's message) with the answer and
     * the references it cites, together once the answer is whole, so that a refused or failed call
     * leaves no half turn.
     */
    private Generations.Keeper keeper(Conversations.Owner owner, String id, List<NewMessage> asked, String model,
                                      List<Map<String, Object>> references, String clientIp) {
        return new Generations.Keeper() {
            @Override
            public String conversationId() {
                return id;
            }

            @Override
            public void keep(String text, Completion completion, Backend backend, SignedStatement provenance) {
                List<NewMessage> turn = new ArrayList<>(asked);
                turn.add(new NewMessage("assistant", text, new Conversations.Answer(model, backend.name(),
                        backend.location().describe(), completion.promptTokens(), completion.completionTokens(),
                        provenance, references)));
                conversations.append(owner, id, turn, clientIp);
            }
        };
    }

    /**
     * For a chat completion with {@code store: true}: keeps the request's messages and its answer as
     * a new conversation of the caller. The conversation is made once the backend has taken the
     * request (a refused call keeps nothing); the answer names it in the header {@value
     * #CONVERSATION_HEADER} and the field {@code conversation_id}. The answer keeps {@code references},
     * the passages it cites.
     */
    Generations.Keeper stored(Context ctx, ChatCompletionRequests.Call call, List<Map<String, Object>> references) {
        Conversations.Owner owner = owner(Authentication.principal(ctx));
        List<NewMessage> messages = new ArrayList<>();
        String title = "";
        if (call.request().prompt() instanceof ChatRequest.Conversation prompt) {
            for (Map<String, Object> m : prompt.messages()) {
                String text = text(m.get("content"));
                String role = String.valueOf(m.get("role"));
                if (title.isEmpty() && role.equals("user")) {
                    title = title(text);
                }
                messages.add(new NewMessage(role, text, null));
            }
        }
        Conversations.Fields fields = new Conversations.Fields(title, null, call.request().model(), null, call.metadata());
        String model = call.request().model();
        return new Generations.Keeper() {
            private String id;

            @Override
            public String conversationId() {
                if (id == null) {
                    id = conversations.create(owner, fields, messages, ctx.ip()).id();
                    ctx.header(CONVERSATION_HEADER, id);
                }
                return id;
            }

            @Override
            public void keep(String text, Completion completion, Backend backend, SignedStatement provenance) {
                keeper(owner, conversationId(), List.of(), model, references, ctx.ip()).keep(text, completion, backend, provenance);
            }
        };
    }

    /** A message's content as text: a string as it is, content parts as their JSON. */
    private static String text(Object content) {
        if (content == null) {
            return "";
        }
        if (content instanceof String s) {
            return s;
        }
        return new String(Json.bytes(content), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static Conversations.Fields fields(RequestFields body, Map<String, String> metadata) {
        Double temperature = body.number("temperature");
        if (temperature != null && (temperature < 0 || temperature > 2)) {
            throw ApiError.invalid("temperature", "temperature must be in [0, 2], was " + temperature);
        }
        return new Conversations.Fields(body.string("title"), body.string("system_prompt"), body.string("model"),
                temperature, metadata);
    }

    private static Map<String, String> metadata(JsonNode node) {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return metadata;
        }
        if (!node.isObject()) {
            throw ChatCompletionRequests.typeError("metadata", "an object of strings", node);
        }
        node.properties().forEach(entry -> {
            if (!entry.getValue().isTextual()) {
                throw ChatCompletionRequests.typeError("metadata." + entry.getKey(), "a string", entry.getValue());
            }
            metadata.put(entry.getKey(), entry.getValue().asText());
        });
        return metadata;
    }

    private static List<NewMessage> messages(JsonNode node) {
        List<NewMessage> messages = new ArrayList<>();
        if (node == null || node.isNull()) {
            return messages;
        }
        if (!node.isArray()) {
            throw ChatCompletionRequests.typeError("messages", "an array of {role, content}", node);
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String path = "messages[" + i + "]";
            if (!m.isObject() || !m.path("role").isTextual() || !m.path("content").isTextual() || m.size() != 2) {
                throw ChatCompletionRequests.typeError(path, "an object {role, content} of two strings", m);
            }
            if (!ROLES.contains(m.get("role").asText())) {
                throw ApiError.invalid(path + ".role", "role must be one of system, user, assistant, tool; was '"
                        + m.get("role").asText() + "'");
            }
            messages.add(new NewMessage(m.get("role").asText(), m.get("content").asText(), null));
        }
        return messages;
    }

    private RequestFields body(Context ctx, Set<String> fields) throws IOException {
        return RequestFields.of(bodies.read(ctx, MAX_BODY_BYTES), fields);
    }
}
