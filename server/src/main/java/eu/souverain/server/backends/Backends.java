package eu.souverain.server.backends;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every backend the server routes to, the local engine first: each model name belongs to exactly
 * one of them. One model is the default for embeddings: the one named when they were put
 * together, or else the first that only embeds (the bundled sentence-embedding model), or else the
 * first model.
 */
public final class Backends implements AutoCloseable {

    private final List<Backend> all;
    private final Map<String, Backend> byModel = new LinkedHashMap<>();
    private final Map<String, ModelInfo> infos = new LinkedHashMap<>();
    private final String embeddingModel;

    private Backends(List<Backend> all, String embeddingModel) {
        this.all = List.copyOf(all);
        for (Backend backend : all) {
            for (ModelInfo model : backend.models()) {
                Backend other = byModel.putIfAbsent(model.id(), backend);
                if (other != null) {
                    throw new IllegalArgumentException("model '" + model.id() + "' is served by both backend '"
                            + other.name() + "' and backend '" + backend.name() + "'; rename one of them");
                }
                infos.put(model.id(), model);
            }
        }
        if (embeddingModel != null && !infos.containsKey(embeddingModel)) {
            throw new IllegalArgumentException("the embedding model '" + embeddingModel + "' is served by no backend; "
                    + "the models are " + String.join(", ", infos.keySet()));
        }
        this.embeddingModel = embeddingModel != null ? embeddingModel
                : infos.values().stream().filter(m -> !m.chats()).findFirst()
                .orElse(infos.values().iterator().next()).id();
    }

    /** {@code first} and then {@code others}; a model name served twice is refused. */
    public static Backends of(Backend first, List<? extends Backend> others) {
        return of(first, others, null);
    }

    /**
     * As {@link #of(Backend, List)}, with {@code embeddingModel} as the default model for embeddings
     * (null: the first that only embeds, or else the first); a name no backend serves is refused.
     */
    public static Backends of(Backend first, List<? extends Backend> others, String embeddingModel) {
        List<Backend> all = new ArrayList<>();
        all.add(first);
        all.addAll(others);
        return new Backends(all, embeddingModel);
    }

    /** The model that embeds the texts of a request that names none, and of the server's own features. */
    public String defaultEmbeddingModel() {
        return embeddingModel;
    }

    /** The model that answers a chat that names none: the first that chats. */
    public String defaultChatModel() {
        return infos.values().stream().filter(ModelInfo::chats).findFirst().orElseThrow().id();
    }

    /** Every backend, in the order given. */
    public List<Backend> all() {
        return all;
    }

    /** Every model, backend after backend. */
    public List<ModelInfo> models() {
        return List.copyOf(infos.values());
    }

    /** The backend serving {@code model}; throws {@link BackendException} when none does. */
    public Backend serving(String model) {
        Backend backend = byModel.get(model);
        if (backend == null) {
            throw BackendException.modelNotFound(model);
        }
        return backend;
    }

    /** Every backend at once, so that the grace period is shared rather than summed. */
    public void shutdown(Duration grace) {
        List<Thread> stopping = new ArrayList<>();
        for (Backend backend : all) {
            stopping.add(Thread.ofVirtual().start(() -> backend.shutdown(grace)));
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
        for (Backend backend : all) {
            backend.close();
        }
    }
}
