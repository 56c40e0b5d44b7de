package eu.souverain.server.backends;

import eu.souverain.engine.batch.BatchScheduler;
import eu.souverain.engine.model.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The engine in this process: one {@link ModelScheduler} per language model, and a sentence-embedding
 * model beside them when one is given.
 */
public final class LocalBackend implements Backend {

    /** The engine's name among the backends. */
    public static final String NAME = "local";

    private final Map<String, ModelScheduler> schedulers;
    /** Null when none is served. */
    private final SentenceModelHandle sentences;
    private final BackendLocation location;

    private LocalBackend(Map<String, ModelScheduler> schedulers, SentenceModelHandle sentences,
                         BackendLocation location) {
        this.schedulers = schedulers;
        this.sentences = sentences;
        this.location = location;
    }

    /** As {@link #load(Map, int, int, int, BackendLocation)}, on this host as its locale places it. */
    public static LocalBackend load(Map<String, Path> files, int contextLength, int threads, int queueCapacity)
            throws IOException {
        return load(files, contextLength, threads, queueCapacity, BackendLocation.thisHost(null, null, null, List.of()));
    }

    /**
     * How the local engine serves each model.
     *
     * @param contextLength tokens of context, 0 for each model's own
     * @param threads threads for each forward pass
     * @param queueCapacity sequences that may wait per model before requests are refused
     * @param maxSequences sequences each model generates at once, batched in one step
     * @param kvCacheMegabytes memory of each model's key/value cache, 0 for room for four whole contexts (at most 4 GiB)
     * @param requestTimeout how long a generation may take, null for no limit
     */
    public record Settings(int contextLength, int threads, int queueCapacity, int maxSequences, long kvCacheMegabytes,
                           Duration requestTimeout) {

        /** Sequences generated at once unless told otherwise. */
        public static final int DEFAULT_MAX_SEQUENCES = 8;

        public Settings {
            if (contextLength < 0) {
                throw new IllegalArgumentException("the context length must not be negative, was " + contextLength);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, was " + threads);
            }
            if (queueCapacity < 1) {
                throw new IllegalArgumentException("the queue must hold at least 1 request, was " + queueCapacity);
            }
            if (maxSequences < 1) {
                throw new IllegalArgumentException("at least 1 sequence must run at once, was " + maxSequences);
            }
            if (kvCacheMegabytes < 0) {
                throw new IllegalArgumentException("the key/value cache's size must not be negative, was "
                        + kvCacheMegabytes + " MB");
            }
            if (requestTimeout != null && (requestTimeout.isNegative() || requestTimeout.isZero())) {
                throw new IllegalArgumentException("the request timeout must be positive, was " + requestTimeout);
            }
        }
    }

    /** As {@link #load(Map, Settings, BackendLocation)}, with the default batching and no request timeout. */
    public static LocalBackend load(Map<String, Path> files, int contextLength, int threads, int queueCapacity,
                                    BackendLocation location) throws IOException {
        return load(files, new Settings(contextLength, threads, queueCapacity, Settings.DEFAULT_MAX_SEQUENCES, 0, null),
                location);
    }

    /** As {@link #load(Map, Settings, BackendLocation)}, on this host as its locale places it. */
    public static LocalBackend load(Map<String, Path> files, Settings settings) throws IOException {
        return load(files, settings, BackendLocation.thisHost(null, null, null, List.of()));
    }

    /** Loads every model (name to GGUF file) and starts its scheduler, running at {@code location}. */
    public static LocalBackend load(Map<String, Path> files, Settings settings, BackendLocation location)
            throws IOException {
        return load(files, settings, location, null);
    }

    /**
     * As {@link #load(Map, Settings, BackendLocation)}, serving {@code sentences} (null for none) too,
     * which the backend then owns: it shuts it down and closes it with the rest, and on failure.
     */
    public static LocalBackend load(Map<String, Path> files, Settings settings, BackendLocation location,
                                    SentenceEmbeddingModel sentences) throws IOException {
        return serving(files, settings, location, sentences == null ? null : SentenceModelHandle.loaded(sentences));
    }

    /**
     * As {@link #load(Map, Settings, BackendLocation, SentenceEmbeddingModel)}, serving the bundled
     * sentence-embedding model that {@code bundled} brings once loaded (see
     * {@link SentenceEmbeddingModel#loadBundledInBackground}): its requests wait for it meanwhile.
     */
    public static LocalBackend loadWithBundledSentences(Map<String, Path> files, Settings settings,
                                                        BackendLocation location,
                                                        CompletableFuture<SentenceEmbeddingModel> bundled)
            throws IOException {
        return serving(files, settings, location,
                SentenceModelHandle.loading(SentenceEmbeddingModel.bundledInfo(), bundled));
    }

    private static LocalBackend serving(Map<String, Path> files, Settings settings, BackendLocation location,
                                        SentenceModelHandle sentences) throws IOException {
        if (sentences != null && files.containsKey(sentences.info().id())) {
            sentences.close();
            throw new IllegalArgumentException("model '" + sentences.info().id() + "' is both a model file and the "
                    + "embedding model; rename the file's model");
        }
        if (files.isEmpty()) {
            if (sentences != null) {
                sentences.close();
            }
            throw new IllegalArgumentException("no model to serve");
        }
        Map<String, ModelScheduler> schedulers = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Path> entry : files.entrySet()) {
                Path path = entry.getValue();
                if (!Files.isRegularFile(path)) {
                    throw new NoSuchFileException(path.toString());
                }
                LlamaModel model = LlamaModel.load(path, settings.contextLength());
                try {
                    // Parsed now, not by the first chat: a template that does not parse stops the start here.
                    model.chatTemplate();
                    ModelInfo info = new ModelInfo(entry.getKey(), Instant.now().getEpochSecond(),
                            model.config().contextLength(), model.config().embeddingLength());
                    long kvBytes = settings.kvCacheMegabytes() > 0 ? settings.kvCacheMegabytes() << 20
                            : BatchScheduler.Settings.defaultKvCacheBytes(model.config());
                    BatchScheduler.Settings batching = new BatchScheduler.Settings(settings.threads(),
                            settings.maxSequences(), kvBytes, BatchScheduler.Settings.DEFAULT_PREFILL_TOKENS);
                    schedulers.put(entry.getKey(), new ModelScheduler(info, model, batching, settings.queueCapacity(),
                            settings.requestTimeout()));
                } catch (RuntimeException e) {
                    model.close();
                    throw e;
                }
            }
        } catch (IOException | RuntimeException e) {
            LocalBackend loaded = new LocalBackend(schedulers, sentences, location);
            loaded.shutdown(Duration.ZERO);
            loaded.close();
            throw e;
        }
        return new LocalBackend(schedulers, sentences, location);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BackendLocation location() {
        return location;
    }

    @Override
    public boolean remote() {
        return false;
    }

    @Override
    public List<ModelInfo> models() {
        List<ModelInfo> models = new ArrayList<>();
        for (ModelScheduler scheduler : schedulers.values()) {
            models.add(scheduler.info());
        }
        if (sentences != null) {
            models.add(sentences.info());
        }
        return models;
    }

    private boolean isSentences(String model) {
        return sentences != null && sentences.info().id().equals(model);
    }

    @Override
    public ModelLoad load(String model) {
        if (isSentences(model)) {
            return sentences.load();
        }
        ModelScheduler scheduler = schedulers.get(model);
        if (scheduler == null) {
            throw BackendException.modelNotFound(model);
        }
        return scheduler.load();
    }

    @Override
    public PreparedRequest prepare(ChatRequest request) {
        if (isSentences(request.model())) {
            throw BackendException.invalid("model", "model '" + request.model() + "' is a sentence-embedding model: it "
                    + "embeds texts (POST /v1/embeddings) and cannot generate text; choose a chat model, such as '"
                    + schedulers.keySet().iterator().next() + "'");
        }
        ModelScheduler scheduler = schedulers.get(request.model());
        if (scheduler == null) {
            throw BackendException.modelNotFound(request.model());
        }
        return scheduler.prepare(request);
    }

    @Override
    public Generation start(PreparedRequest request) {
        return ((ModelScheduler.Plan) request).scheduler().submit((ModelScheduler.Plan) request);
    }

    @Override
    public PreparedEmbeddings prepare(EmbeddingRequest request) {
        if (isSentences(request.model())) {
            return sentences.get().prepare(request);
        }
        ModelScheduler scheduler = schedulers.get(request.model());
        if (scheduler == null) {
            throw BackendException.modelNotFound(request.model());
        }
        return scheduler.prepare(request);
    }

    @Override
    public Embeddings embed(PreparedEmbeddings request) {
        return switch (request) {
            case SentenceEmbeddingModel.Inputs inputs -> inputs.model().embed(inputs);
            case ModelScheduler.Inputs inputs -> inputs.scheduler().embed(inputs);
            case RemoteBackend.CheckedEmbeddings remote ->
                    throw new IllegalArgumentException("a remote backend's request cannot run here");
        };
    }

    /** Every model at once, so that the grace period is shared rather than summed. */
    @Override
    public void shutdown(Duration grace) {
        List<Thread> stopping = new ArrayList<>();
        for (ModelScheduler scheduler : schedulers.values()) {
            stopping.add(Thread.ofVirtual().start(() -> scheduler.shutdown(grace)));
        }
        if (sentences != null) {
            stopping.add(Thread.ofVirtual().start(() -> sentences.shutdown(grace)));
        }
        for (Thread thread : stopping) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        for (ModelScheduler scheduler : schedulers.values()) {
            scheduler.close();
        }
        if (sentences != null) {
            sentences.close();
        }
    }
}
