package eu.souverain.server.backends;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.engine.model.FinishReason;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server elsewhere that speaks the OpenAI-compatible protocol (vLLM, llama.cpp, Ollama, another
 * Souverain, Mistral's own API), proxied over java.net.http. Every generation is asked of it as a
 * stream, whether or not the client streams, so that its pieces pass on as they arrive; its
 * finish reasons and usage are carried over. Its failures become errors that name it: 502 when it
 * cannot be reached or answers with an error, 504 when it does not answer in time.
 *
 * <p>Its one HTTP client sends only to URIs under the configured base URL.
 */
public final class RemoteBackend implements Backend {

    /** How the remote reads a request: the field names of the protocol's two dialects differ. */
    public enum Kind {
        /** vLLM, llama.cpp, Ollama, Souverain: OpenAI's fields, with top_k and min_p as extensions. */
        OPENAI_COMPATIBLE("openai-compatible"),
        /** Mistral's API: random_seed, and no field it does not document. */
        MISTRAL("mistral");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * A remote backend as the backends file declares it.
     *
     * @param baseUrl the URL the protocol's paths (chat/completions, ...) are relative to, such as https://host/v1
     * @param apiKey  sent as a bearer token, or null for none
     * @param models  the names this server exposes, in the order listed, each mapped to the name the remote knows it by
     * @param timeout how long the remote may take to start answering
     */
    public record Config(String name, Kind kind, URI baseUrl, String apiKey, Map<String, String> models,
                         BackendLocation location, Duration timeout) {
        public Config {
            models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final Config config;
    private final List<ModelInfo> models;
    private final HttpClient client;
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean accepting = true;

    public RemoteBackend(Config config) {
        this.config = config;
        long now = Instant.now().getEpochSecond();
        this.models = config.models().keySet().stream().map(id -> new ModelInfo(id, now, 0, 0)).toList();
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public BackendLocation location() {
        return config.location();
    }

    @Override
    public boolean remote() {
        return true;
    }

    @Override
    public List<ModelInfo> models() {
        return models;
    }

    /** The remote's own queue is out of sight: what shows is the requests in flight to it. */
    @Override
    public ModelLoad load(String model) {
        remoteName(model);
        return new ModelLoad(0, running.get());
    }

    @Override
    public PreparedRequest prepare(ChatRequest request) {
        remoteName(request.model());
        // Refused by name rather than dropped: the answer would not keep the promise the request asked for.
        if (request.format() != null) {
            throw BackendException.invalid("response_format", "backend '" + name()
                    + "' is remote; constrained JSON output runs on the local engine only");
        }
        if (request.tools() != null) {
            throw BackendException.invalid("tools", "backend '" + name()
                    + "' is remote; tool calls run on the local engine only");
        }
        return new Checked(request);
    }

    /** A request a remote backend can send: what it could check here is checked, the rest is the remote's to refuse. */
    record Checked(ChatRequest request) implements PreparedRequest {
        @Override
        public PreparedRequest withMaxTokens(int maxTokens) {
            return new Checked(request.withMaxTokens(maxTokens));
        }
    }

    @Override
    public Generation start(PreparedRequest prepared) {
        ChatRequest request = prepared.request();
        String remoteModel = remoteName(request.model());
        // Mistral answers fill-in-the-middle on a route of its own, in the chat shape.
        boolean mistralFill = request.prompt() instanceof ChatRequest.Fill && config.kind() == Kind.MISTRAL;
        boolean chat = request.prompt() instanceof ChatRequest.Conversation || mistralFill;
        ObjectNode body = body(request, remoteModel);
        String path = mistralFill ? "fim/completions" : chat ? "chat/completions" : "completions";
        HttpResponse<InputStream> response = send(path, body, true);
        return sink -> relay(response.body(), request.choices(), chat, sink);
    }

    @Override
    public PreparedEmbeddings prepare(EmbeddingRequest request) {
        remoteName(request.model());
        return new CheckedEmbeddings(request);
    }

    /** Embeddings a remote backend can send: the lengths are the remote's to check. */
    record CheckedEmbeddings(EmbeddingRequest request) implements PreparedEmbeddings {}

    @Override
    public Embeddings embed(PreparedEmbeddings prepared) {
        EmbeddingRequest request = prepared.request();
        ObjectNode body = JSON.createObjectNode().put("model", remoteName(request.model()));
        ArrayNode input = body.putArray("input");
        request.inputs().forEach(input::add);
        HttpResponse<InputStream> response = send("embeddings", body, false);
        JsonNode answer;
        try (InputStream in = response.body()) {
            answer = JSON.readTree(in);
        } catch (IOException e) {
            throw BackendException.badGateway("backend '" + name() + "' broke off its answer: " + e.getMessage());
        } finally {
            running.decrementAndGet();
        }
        JsonNode data = answer.path("data");
        if (!data.isArray() || data.size() != request.inputs().size()) {
            throw BackendException.badGateway("backend '" + name() + "' answered " + data.size() + " embeddings for "
                    + request.inputs().size() + " inputs");
        }
        List<float[]> vectors = new ArrayList<>();
        for (JsonNode entry : data) {
            JsonNode numbers = entry.path("embedding");
            if (!numbers.isArray()) {
                throw BackendException.badGateway("backend '" + name() + "' answered an embedding that is not an array");
            }
            float[] vector = new float[numbers.size()];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = (float) numbers.get(i).asDouble();
            }
            vectors.add(vector);
        }
        return new Embeddings(vectors, answer.path("usage").path("prompt_tokens").asInt());
    }

    /**
     * POST {base}/rerank. TEI reads the passages from {@code texts} and answers a bare array of
     * {index, score}; vLLM, Jina and Cohere read {@code documents} and answer {results: [{index,
     * relevance_score}]}. Each ignores the other's field, so the passages go under both names and
     * either answer is read; no top_n, so that every document gets its score.
     */
    @Override
    public Reranking rerank(RerankRequest request) {
        ObjectNode body = JSON.createObjectNode().put("model", remoteName(request.model())).put("query", request.query());
        ArrayNode documents = body.putArray("documents");
        ArrayNode texts = body.putArray("texts");
        request.documents().forEach(d -> {
            documents.add(d);
            texts.add(d);
        });
        Duration timeout = request.timeout().compareTo(config.timeout()) < 0 ? request.timeout() : config.timeout();
        HttpResponse<InputStream> response = send("rerank", body, false, timeout);
        JsonNode answer;
        try (InputStream in = response.body()) {
            answer = JSON.readTree(in);
        } catch (IOException e) {
            throw BackendException.badGateway("backend '" + name() + "' broke off its answer: " + e.getMessage());
        } finally {
            running.decrementAndGet();
        }
        JsonNode results = answer != null && answer.isArray() ? answer : answer == null ? null : answer.path("results");
        if (results == null || !results.isArray()) {
            throw BackendException.badGateway("backend '" + name() + "' answered a rerank without results");
        }
        Double[] scores = new Double[request.documents().size()];
        for (JsonNode entry : results) {
            JsonNode index = entry.path("index");
            JsonNode score = entry.has("relevance_score") ? entry.get("relevance_score") : entry.path("score");
            if (!index.canConvertToInt() || index.asInt() < 0 || index.asInt() >= scores.length || !score.isNumber()
                    || !Double.isFinite(score.asDouble())) {
                throw BackendException.badGateway("backend '" + name() + "' answered a rerank result that is not an"
                        + " index of the " + scores.length + " documents with a score");
            }
            scores[index.asInt()] = score.asDouble();
        }
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] == null) {
                throw BackendException.badGateway("backend '" + name() + "' answered no score for document " + i);
            }
        }
        return new Reranking(List.of(scores), answer.path("usage").path("total_tokens").asInt());
    }

    private String remoteName(String model) {
        String remote = config.models().get(model);
        if (remote == null) {
            throw BackendException.modelNotFound(model);
        }
        return remote;
    }

    /** The request in the remote's dialect, always streamed, with the usage asked for where the dialect has the option. */
    private ObjectNode body(ChatRequest request, String remoteModel) {
        ObjectNode body = JSON.createObjectNode().put("model", remoteModel);
        switch (request.prompt()) {
            case ChatRequest.Conversation conversation -> {
                ArrayNode messages = body.putArray("messages");
                conversation.messages().forEach(m -> messages.add(JSON.valueToTree(m)));
                if (conversation.assistantPrefix() != null) {
                    messages.addObject().put("role", "assistant").put("content", conversation.assistantPrefix())
                            .put("prefix", true);
                }
            }
            case ChatRequest.Text text -> body.put("prompt", text.text());
            case ChatRequest.Fill fill -> body.put("prompt", fill.prefix()).put("suffix", fill.suffix());
        }
        var sampling = request.sampling();
        body.put("temperature", sampling.temperature());
        body.put("top_p", sampling.topP());
        if (sampling.presencePenalty() != 0) {
            body.put("presence_penalty", sampling.presencePenalty());
        }
        if (sampling.frequencyPenalty() != 0) {
            body.put("frequency_penalty", sampling.frequencyPenalty());
        }
        if (request.maxTokens() != Integer.MAX_VALUE) {
            body.put("max_tokens", request.maxTokens());
        }
        if (!request.stops().isEmpty()) {
            ArrayNode stop = body.putArray("stop");
            request.stops().forEach(stop::add);
        }
        if (request.choices() > 1) {
            body.put("n", request.choices());
        }
        body.put("stream", true);
        switch (config.kind()) {
            case OPENAI_COMPATIBLE -> {
                body.put("seed", sampling.seed());
                if (sampling.topK() > 0) {
                    body.put("top_k", sampling.topK());
                }
                if (sampling.minP() > 0) {
                    body.put("min_p", sampling.minP());
                }
                body.putObject("stream_options").put("include_usage", true);
            }
            case MISTRAL -> body.put("random_seed", sampling.seed());
        }
        return body;
    }

    /**
     * Posts {@code body} to {@code path} under the base URL and waits for the status line; an
     * error status is read and turned into a {@link BackendException} here, while the request can
     * still be answered with a status of its own. On success the caller owns the open body.
     */
    private HttpResponse<InputStream> send(String path, ObjectNode body, boolean stream) {
        return send(path, body, stream, config.timeout());
    }

    private HttpResponse<InputStream> send(String path, ObjectNode body, boolean stream, Duration timeout) {
        synchronized (this) {
            if (!accepting) {
                throw BackendException.unavailable("the server is shutting down");
            }
            running.incrementAndGet();
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint(path))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", stream ? "text/event-stream" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body)));
        if (config.apiKey() != null) {
            request.header("Authorization", "Bearer " + config.apiKey());
        }
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            running.decrementAndGet();
            throw BackendException.gatewayTimeout("backend '" + name() + "' could not be reached within "
                    + CONNECT_TIMEOUT.toSeconds() + " s");
        } catch (HttpTimeoutException e) {
            running.decrementAndGet();
            throw BackendException.gatewayTimeout("backend '" + name() + "' did not answer within "
                    + timeout.toSeconds() + " s");
        } catch (ConnectException e) {
            running.decrementAndGet();
            throw BackendException.badGateway("backend '" + name() + "' cannot be reached at " + config.baseUrl()
                    + ": connection refused");
        } catch (IOException e) {
            running.decrementAndGet();
            throw BackendException.badGateway("backend '" + name() + "' cannot be reached at " + config.baseUrl()
                    + ": " + e);
        } catch (InterruptedException e) {
            running.decrementAndGet();
            Thread.currentThread().interrupt();
            throw BackendException.unavailable("interrupted while waiting for backend '" + name() + "'");
        }
        if (response.statusCode() / 100 != 2) {
            running.decrementAndGet();
            throw refusal(response);
        }
        return response;
    }

    private URI endpoint(String path) {
        URI base = config.baseUrl();
        String prefix = base.getPath().endsWith("/") ? base.getPath() : base.getPath() + "/";
        return base.resolve(prefix + path);
    }

    /** What the remote's error status means for the client: its own mistake (400), a busy remote (429), or ours (502). */
    private BackendException refusal(HttpResponse<InputStream> response) {
        String message;
        try (InputStream in = response.body()) {
            message = errorMessage(new String(in.readNBytes(16 << 10), StandardCharsets.UTF_8));
        } catch (IOException e) {
            message = "(its error could not be read: " + e.getMessage() + ")";
        }
        int status = response.statusCode();
        String said = "backend '" + name() + "' answered " + status + ": " + message;
        return switch (status) {
            case 400, 422 -> BackendException.invalid(said);
            case 429 -> BackendException.busy(said);
            case 408, 504 -> BackendException.gatewayTimeout(said);
            default -> BackendException.badGateway(said);
        };
    }

    /** The message of an OpenAI- or Mistral-style error body, else the body itself, shortened. */
    private static String errorMessage(String body) {
        try {
            JsonNode error = JSON.readTree(body);
            JsonNode message = error.path("error").isObject() ? error.path("error").path("message") : error.path("message");
            if (message.isTextual()) {
                return message.asText();
            }
            if (error.path("detail").isTextual()) {
                return error.path("detail").asText();
            }
        } catch (IOException notJson) {
            // Told as it is, below.
        }
        String text = body.strip();
        return text.isEmpty() ? "(no message)" : text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /** Reads the remote's event stream and passes each piece on as it arrives. */
    private Completion relay(InputStream body, int choices, boolean chat, GenerationSink sink) throws IOException {
        BitSet finished = new BitSet(choices);
        Completion usage = null;
        try (BufferedReader events = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            for (String line; (line = readLine(events)) != null; ) {
                if (!line.startsWith("data:")) {
                    continue;
                }
                String data = line.substring("data:".length()).strip();
                if (data.equals("[DONE]")) {
                    break;
                }
                JsonNode event = event(data);
                if (event.has("error") || "error".equals(event.path("object").asText())) {
                    throw BackendException.badGateway("backend '" + name() + "' ended its stream with an error: "
                            + errorMessage(data));
                }
                for (JsonNode choice : event.path("choices")) {
                    int index = choice.path("index").asInt(0);
                    if (index < 0 || index >= choices) {
                        throw BackendException.badGateway("backend '" + name() + "' streamed choice " + index + " of "
                                + choices);
                    }
                    JsonNode text = chat ? choice.path("delta").path("content") : choice.path("text");
                    if (text.isTextual() && !text.asText().isEmpty()) {
                        sink.text(index, text.asText());
                    }
                    if (choice.path("finish_reason").isTextual() && !finished.get(index)) {
                        finished.set(index);
                        sink.finished(index, finish(choice.path("finish_reason").asText()));
                    }
                }
                if (event.path("usage").isObject()) {
                    JsonNode u = event.path("usage");
                    usage = new Completion(u.path("prompt_tokens").asInt(),
                            u.path("prompt_tokens_details").path("cached_tokens").asInt(),
                            u.path("completion_tokens").asInt());
                }
            }
        } finally {
            running.decrementAndGet();
        }
        if (finished.cardinality() < choices) {
            throw BackendException.badGateway("backend '" + name() + "' ended its stream before every choice finished");
        }
        return usage != null ? usage : new Completion(0, 0, 0);
    }

    /** The next line; a stream aborted by shutdown is the cut-off it is, anything else a broken remote. */
    private String readLine(BufferedReader events) throws IOException {
        try {
            return events.readLine();
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            if (!accepting) {
                throw BackendException.unavailable("the server is shutting down; the generation was cut off");
            }
            throw BackendException.badGateway("backend '" + name() + "' broke off its stream: " + e.getMessage());
        }
    }

    private JsonNode event(String data) {
        try {
            return JSON.readTree(data);
        } catch (IOException e) {
            throw BackendException.badGateway("backend '" + name() + "' streamed an event that is not JSON: "
                    + (data.length() > 100 ? data.substring(0, 100) + "..." : data));
        }
    }

    /** OpenAI's and Mistral's reasons; any other (tool_calls, content_filter, error) ends the choice as a stop. */
    private static FinishReason finish(String reason) {
        return switch (reason) {
            case "length" -> FinishReason.LENGTH;
            case "model_length" -> FinishReason.MODEL_LENGTH;
            default -> FinishReason.STOP;
        };
    }

    private static byte[] bytes(JsonNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a request body", e);
        }
    }

    /** Stops taking requests, lets those in flight finish for up to {@code grace}, then aborts their exchanges. */
    @Override
    public void shutdown(Duration grace) {
        synchronized (this) {
            accepting = false;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (running.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        // Wakes a reader blocked on the stream, which closing the body from here would not.
        client.shutdownNow();
    }

    @Override
    public void close() {
        client.close();
    }
}
