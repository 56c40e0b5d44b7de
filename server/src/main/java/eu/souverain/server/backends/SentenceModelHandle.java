package eu.souverain.server.backends;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The sentence-embedding model of a {@link LocalBackend}, served from the start whether it has
 * loaded yet or not: {@code serve} loads the bundled one once the chat models answer, since ONNX
 * Runtime's start took the cores the rest of the start needed. Its name and shape are known
 * before it loads. A request for it meanwhile waits for the load, up to {@link #WAIT}, then
 * answers 503; so does every request once a load has failed, with the reason.
 */
final class SentenceModelHandle {

    /** How long a request waits for the model to finish loading: it normally takes a second or two. */
    static final Duration WAIT = Duration.ofSeconds(30);

    private final ModelInfo info;
    private final CompletableFuture<SentenceEmbeddingModel> model;

    private SentenceModelHandle(ModelInfo info, CompletableFuture<SentenceEmbeddingModel> model) {
        this.info = info;
        this.model = model;
    }

    static SentenceModelHandle loaded(SentenceEmbeddingModel model) {
        return new SentenceModelHandle(model.info(), CompletableFuture.completedFuture(model));
    }

    /** A model described by {@code info} that {@code loading} completes (exceptionally if it cannot load). */
    static SentenceModelHandle loading(ModelInfo info, CompletableFuture<SentenceEmbeddingModel> loading) {
        return new SentenceModelHandle(info, loading);
    }

    ModelInfo info() {
        return info;
    }

    /** The model, once loaded: waits up to {@link #WAIT} for it. */
    SentenceEmbeddingModel get() {
        try {
            return model.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw BackendException.unavailable("the embedding model '" + info.id() + "' is still loading; try again"
                    + " shortly");
        } catch (ExecutionException e) {
            throw BackendException.unavailable("the embedding model '" + info.id() + "' could not be loaded ("
                    + e.getCause().getMessage() + "); restart the server with --embedding-model off, or name another"
                    + " model");
        } catch (CancellationException e) {
            throw BackendException.unavailable("the server is shutting down");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw BackendException.unavailable("the server is shutting down");
        }
    }

    /** Its queue, empty while it loads. */
    ModelLoad load() {
        SentenceEmbeddingModel loaded = loadedOrNull();
        return loaded == null ? new ModelLoad(0, 0) : loaded.load();
    }

    /** Shuts the model down if it has loaded; one that loads later is closed instead of served. */
    void shutdown(Duration grace) {
        if (model.cancel(false)) {
            return;
        }
        SentenceEmbeddingModel loaded = loadedOrNull();
        if (loaded != null) {
            loaded.shutdown(grace);
        }
    }

    /** The model if it has loaded; null while it loads, and when it could not. */
    private SentenceEmbeddingModel loadedOrNull() {
        return model.state() == Future.State.SUCCESS ? model.resultNow() : null;
    }

    /** Closes the model, now if it has loaded, else once it has (a load cannot be cut short). */
    void close() {
        if (!model.cancel(false)) {
            model.thenAccept(SentenceEmbeddingModel::close);
        }
    }
}
