package eu.souverain.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.server.conversations.Conversations;
import eu.souverain.server.conversations.Conversations.NewMessage;
import eu.souverain.server.gateway.Backend;
import eu.souverain.server.gateway.ChatRequest;
import eu.souverain.server.gateway.Completion;
import eu.souverain.server.privacy.Erasure;
import eu.souverain.server.privacy.Export;
import eu.souverain.server.tenancy.Labels;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.Role;
import eu.souverain.server.tenancy.Scope;
import eu.souverain.server.tenancy.Tenancy;
import eu.souverain.server.tenancy.TenancyException;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Stored conversations over HTTP, for the web app and scripts, and their lifecycle for
 * administrators: retention, erasure and export. A conversation is its owner's: only the user or
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
            "max_tokens", "temperature", "top_p", "seed", "stop", "style");
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

    private final ApiServer server;
    private final Tenancy tenancy;
    private final Generations generations;

    ConversationsRoutes(ApiServer server, Tenancy tenancy, Generations generations) {
        this.server = server;
        this.tenancy = tenancy;
        this.generations = generations;
    }

    void register(RoutesConfig routes) {
        routes.get("/v1/conversations", chat("/v1/conversations", this::list));
        routes.post("/v1/conversations", chat("/v1/conversations", this::create));
        routes.get("/v1/conversations/export", chat("/v1/conversations/export", this::exportOwn));
        routes.get("/v1/conversations/{id}", chat("/v1/conversations/{id}", this::get));
        routes.patch("/v1/conversations/{id}", chat("/v1/conversations/{id}", this::update));
        routes.delete("/v1/conversations/{id}", chat("/v1/conversations/{id}", this::delete));
        routes.post("/v1/conversations/{id}/messages", chat("/v1/conversations/{id}/messages", this::append));
        routes.delete("/v1/conversations/{id}/messages/{messageId}",
                chat("/v1/conversations/{id}/messages/{messageId}", this::truncate));
        routes.get("/v1/conversations/{id}/sovereignty", chat("/v1/conversations/{id}/sovereignty", this::sovereignty));
        routes.post("/v1/conversations/{id}/completions", ApiServer.named("/v1/conversations/{id}/completions",
                ApiServer.requires(Scope.CHAT, server.answering(this::complete))));
        routes.get("/v1/admin/retention", ApiServer.named("/v1/admin/retention",
                ApiServer.requiresAny(EnumSet.of(Scope.ADMIN, Scope.AUDIT), this::getRetention)));
        routes.put("/v1/admin/retention", admin("/v1/admin/retention", this::putRetention));
        routes.delete("/v1/admin/users/{id}/data", admin("/v1/admin/users/{id}/data", this::eraseUser));
        routes.delete("/v1/admin/organizations/{id}/data",
                admin("/v1/admin/organizations/{id}/data", this::eraseOrganization));
        routes.get("/v1/admin/export", admin("/v1/admin/export", this::exportForAdmin));
    }

    private static Handler chat(String route, Handler handler) {
        return ApiServer.named(route, ApiServer.requires(Scope.CHAT, handler));
    }

    private static Handler admin(String route, Handler handler) {
        return ApiServer.named(route, ApiServer.requires(Scope.ADMIN, handler));
    }

    /** The caller as a conversation's owner: its user key encrypts, or for an API key its organization's. */
    static Conversations.Owner owner(Principal principal) {
        return new Conversations.Owner(principal.organizationId(), principal.actorId(),
                principal.isUser() ? principal.actorId() : null);
    }

    private Conversations conversations() {
        return server.privacy().conversations();
    }

    /** GET /v1/conversations[?q=text]: the caller's, newest first, without messages. */
    private void list(Context ctx) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (Conversations.Conversation c : conversations().list(owner(ApiServer.principal(ctx)), ctx.queryParam("q"))) {
            Map<String, Object> json = Export.json(c);
            json.remove("messages");
            data.add(json);
        }
        Json.respond(ctx, 200, Map.of("object", "list", "data", data));
    }

    /** POST /v1/conversations: {title?, system_prompt?, model?, temperature?, metadata?, messages?}. */
    private void create(Context ctx) throws IOException {
        RequestFields body = body(ctx, CONVERSATION_FIELDS);
        Map<String, String> metadata = metadata(body.node("metadata"));
        Conversations.Conversation created = conversations().create(owner(ApiServer.principal(ctx)), fields(body, metadata),
                messages(body.node("messages")), ctx.ip());
        Json.respond(ctx, 201, Export.json(created));
    }

    private void get(Context ctx) {
        Json.respond(ctx, 200, Export.json(conversations().get(owner(ApiServer.principal(ctx)), ctx.pathParam("id"),
                ctx.ip())));
    }

    /**
     * GET /v1/conversations/{id}/sovereignty: where the conversation is stored, under which key, who
     * can reach it and which backend answered each message; its content stays encrypted.
     */
    private void sovereignty(Context ctx) {
        Conversations.Stored stored = conversations().stored(owner(ApiServer.principal(ctx)), ctx.pathParam("id"),
                ctx.ip());
        Json.respond(ctx, 200, server.report().conversation(stored));
    }

    /** PATCH /v1/conversations/{id}: {title?, system_prompt?, model?, temperature?}. */
    private void update(Context ctx) throws IOException {
        RequestFields body = body(ctx, UPDATE_FIELDS);
        Json.respond(ctx, 200, Export.json(conversations().update(owner(ApiServer.principal(ctx)), ctx.pathParam("id"),
                fields(body, null), ctx.ip())));
    }

    /** DELETE /v1/conversations/{id}: its owner, or an administrator of its organization. */
    private void delete(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        conversations().delete(owner(by), ctx.pathParam("id"), by.has(Scope.ADMIN), ctx.ip());
        ctx.status(204);
    }

    /** POST /v1/conversations/{id}/messages: {role, content}, kept as it is; nothing is generated. */
    private void append(Context ctx) throws IOException {
        RequestFields body = body(ctx, Set.of("role", "content"));
        String role = body.requiredString("role");
        if (!ROLES.contains(role)) {
            throw ApiError.invalid("role", "role must be one of system, user, assistant, tool; was '" + role + "'");
        }
        Conversations.Message appended = conversations().append(owner(ApiServer.principal(ctx)), ctx.pathParam("id"),
                List.of(new NewMessage(role, body.requiredString("content"), null)), ctx.ip()).getFirst();
        Json.respond(ctx, 201, Export.json(appended));
    }

    /**
     * DELETE /v1/conversations/{id}/messages/{messageId}: the message and every later one, so that
     * the conversation goes on from just before it. Its owner only.
     */
    private void truncate(Context ctx) {
        conversations().truncate(owner(ApiServer.principal(ctx)), ctx.pathParam("id"), ctx.pathParam("messageId"),
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
    private void complete(Context ctx) throws IOException {
        Principal principal = ApiServer.principal(ctx);
        Conversations.Owner owner = owner(principal);
        RequestFields body = body(ctx, COMPLETION_FIELDS);
        String content = body.requiredString("content");
        Conversations.Conversation conversation = conversations().get(owner, ctx.pathParam("id"), ctx.ip());
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        String style = body.string("style");
        if (style != null && !STYLES.containsKey(style)) {
            throw ApiError.invalid("style", "style must be one of " + String.join(", ", STYLES.keySet().stream().sorted()
                    .toList()) + "; was '" + style + "'");
        }
        for (String name : COMPLETION_FIELDS) {
            JsonNode value = body.node(name);
            if (value != null && !name.equals("content") && !name.equals("style")) {
                request.set(name, value);
            }
        }
        if (!request.has("model") && conversation.model() != null) {
            request.put("model", conversation.model());
        }
        if (!request.has("temperature") && conversation.temperature() != null) {
            request.put("temperature", conversation.temperature());
        }
        String system = systemPrompt(style == null ? null : STYLES.get(style), conversation.systemPrompt());
        List<Conversations.Message> history = conversation.messages();
        boolean untitled = conversation.title().isEmpty() && history.stream().noneMatch(m -> m.role().equals("user"));
        // A conversation outgrows its model's context: the oldest turns it cannot hold are left out
        // of the prompt, one at a time (they stay kept), down to the new message alone.
        for (int from = 0; ; from = nextTurn(history, from)) {
            ArrayNode messages = request.putArray("messages");
            if (!system.isEmpty()) {
                messages.addObject().put("role", "system").put("content", system);
            }
            for (Conversations.Message m : history.subList(from, history.size())) {
                messages.addObject().put("role", m.role()).put("content", m.content());
            }
            messages.addObject().put("role", "user").put("content", content);
            ChatCompletionRequests.Call call = ChatCompletionRequests.parse(request, server.defaultModel(),
                    Generations.RANDOM::nextLong);
            Generations.Keeper keeper = keeper(owner, conversation.id(), List.of(new NewMessage("user", content, null)),
                    call.request().model(), ctx.ip());
            try {
                generations.answer(ctx, call.request(), call.stream(), call.includeUsage(), ChatCompletionsRoute.WIRE,
                        untitled ? namingAfter(content, keeper, owner, conversation.id(), ctx.ip()) : keeper);
                return;
            } catch (ApiError e) {
                // Refused before anything was sent: the request can still be made again, shorter.
                if (!e.code().equals("context_length_exceeded") || from == history.size()) {
                    throw e;
                }
            }
        }
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
            public void keep(String text, Completion completion, Backend backend) {
                keeper.keep(text, completion, backend);
                conversations().update(owner, id, new Conversations.Fields(title(firstMessage), null, null, null, null),
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
     * Keeps a turn of conversation {@code id}: {@code asked} (the user's message) with the answer,
     * together once the answer is whole, so that a refused or failed call leaves no half turn.
     */
    private Generations.Keeper keeper(Conversations.Owner owner, String id, List<NewMessage> asked, String model,
                                      String clientIp) {
        Conversations conversations = conversations();
        return new Generations.Keeper() {
            @Override
            public String conversationId() {
                return id;
            }

            @Override
            public void keep(String text, Completion completion, Backend backend) {
                List<NewMessage> turn = new ArrayList<>(asked);
                turn.add(new NewMessage("assistant", text, new Conversations.Answer(model, backend.name(),
                        backend.location().describe(), completion.promptTokens(), completion.completionTokens())));
                conversations.append(owner, id, turn, clientIp);
            }
        };
    }

    /**
     * For a chat completion with {@code store: true}: keeps the request's messages and its answer as
     * a new conversation of the caller. The conversation is made once the backend has taken the
     * request (a refused call keeps nothing); the answer names it in the header {@value
     * #CONVERSATION_HEADER} and the field {@code conversation_id}.
     */
    Generations.Keeper stored(Context ctx, ChatCompletionRequests.Call call) {
        Conversations.Owner owner = owner(ApiServer.principal(ctx));
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
                    id = conversations().create(owner, fields, messages, ctx.ip()).id();
                    ctx.header(CONVERSATION_HEADER, id);
                }
                return id;
            }

            @Override
            public void keep(String text, Completion completion, Backend backend) {
                keeper(owner, conversationId(), List.of(), model, ctx.ip()).keep(text, completion, backend);
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

    /** GET /v1/conversations/export: the caller's conversations, decrypted, as one JSON document. */
    private void exportOwn(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        Json.respond(ctx, 200, server.privacy().export().of(by.organizationId(), by.actorId(), by.actor(ctx.ip())));
    }

    /**
     * GET /v1/admin/export[?user=ID]: a user's conversations, or without one the whole
     * organization's. Reading other people's conversations is the owner's alone, a user signed in
     * with the owner role; an administrator may erase them, never read them.
     */
    private void exportForAdmin(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        if (by.role() != Role.OWNER) {
            throw TenancyException.forbidden("exporting other people's conversations needs the owner role");
        }
        String user = ctx.queryParam("user");
        if (user != null) {
            tenancy.users().get(by.organizationId(), user, by.actor(ctx.ip()));
        }
        Json.respond(ctx, 200, server.privacy().export().of(by.organizationId(), user, by.actor(ctx.ip())));
    }

    private void getRetention(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        Json.respond(ctx, 200, retention(server.privacy().retention().days(by.organizationId()).orElse(null)));
    }

    /** PUT /v1/admin/retention: {days}, a number of days or null to keep messages until they are erased. */
    private void putRetention(Context ctx) throws IOException {
        Principal by = ApiServer.principal(ctx);
        RequestFields body = body(ctx, Set.of("days"));
        JsonNode days = body.node("days");
        if (days == null) {
            throw ApiError.schema("missing_field", "days", "'days' is required: a number of days, or null to keep"
                    + " messages until they are erased");
        }
        if (!days.isNull() && !(days.isIntegralNumber() && days.canConvertToInt())) {
            throw ChatCompletionRequests.typeError("days", "an integer or null", days);
        }
        Integer value = days.isNull() ? null : days.asInt();
        server.privacy().retention().set(by.organizationId(), value, by.actor(ctx.ip()));
        Json.respond(ctx, 200, retention(value));
    }

    private static Map<String, Object> retention(Integer days) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("object", "retention");
        json.put("days", days);
        return json;
    }

    /** DELETE /v1/admin/users/{id}/data: the user's data keys destroyed and conversations deleted. */
    private void eraseUser(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        String user = ctx.pathParam("id");
        tenancy.users().get(by.organizationId(), user, by.actor(ctx.ip()));
        Json.respond(ctx, 200, erased(server.privacy().erasure().user(by.organizationId(), user, by.actor(ctx.ip()))));
    }

    /** DELETE /v1/admin/organizations/{id}/data: the installation owner's, for any organization. */
    private void eraseOrganization(Context ctx) {
        Principal by = ApiServer.principal(ctx);
        if (!tenancy.isInstallationOwner(by)) {
            throw TenancyException.forbidden("only an owner of the installation's organization may erase an"
                    + " organization's data");
        }
        String organization = tenancy.organizations().get(by, ctx.pathParam("id"), ctx.ip()).id();
        Json.respond(ctx, 200, erased(server.privacy().erasure().organization(organization, by.actor(ctx.ip()))));
    }

    private static Map<String, Object> erased(Erasure.Erased erased) {
        return Map.of("object", "erasure", "conversations", erased.conversations(), "data_keys", erased.dataKeys());
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
        return RequestFields.of(server.requestBody(ctx, MAX_BODY_BYTES), fields);
    }
}
