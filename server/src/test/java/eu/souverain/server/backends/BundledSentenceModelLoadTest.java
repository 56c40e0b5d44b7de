package eu.souverain.server.backends;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bundled sentence-embedding model as {@code serve} gives it to the local engine: loading
 * after the chat model serves, listed from the start, its requests waiting for it meanwhile, and
 * answered 503 with the reason when it cannot load.
 */
class BundledSentenceModelLoadTest {

    private static final Path MODEL = Path.of("").toAbsolutePath().getParent().resolve("models/stories260K.gguf");
    private static final LocalBackend.Settings SETTINGS = new LocalBackend.Settings(0, 1, 16, 1, 0, null);

    private final CompletableFuture<SentenceEmbeddingModel> bundled = new CompletableFuture<>();
    private LocalBackend local;

    private LocalBackend load() throws IOException {
        local = LocalBackend.loadWithBundledSentences(Map.of("stories260K", MODEL), SETTINGS,
                BackendLocation.thisHost(null, null, null, List.of()), bundled);
        return local;
    }

    @AfterEach
    void release() {
        if (local != null) {
            local.shutdown(Duration.ZERO);
            local.close();
        }
    }

    @Test
    void aRequestMadeWhileTheModelLoadsWaitsForItAndIsAnswered() throws Exception {
        LocalBackend backend = load();
        assertThat(backend.models()).anySatisfy(m -> {
            assertThat(m.id()).isEqualTo(SentenceEmbeddingModel.BUNDLED);
            assertThat(m.chats()).isFalse();
            assertThat(m.embeddingLength()).isEqualTo(384);
        });
        assertThat(Backends.of(backend, List.of()).defaultEmbeddingModel()).isEqualTo(SentenceEmbeddingModel.BUNDLED);
        CompletableFuture<Embeddings> answer = CompletableFuture.supplyAsync(() -> backend.embed(
                backend.prepare(new EmbeddingRequest(SentenceEmbeddingModel.BUNDLED, List.of("Bonjour")))));
        Thread.sleep(300);
        assertThat(answer).isNotDone();

        SentenceEmbeddingModel.loadBundledInBackground(bundled, 1, 16, null);
        assertThat(answer.get(60, TimeUnit.SECONDS).vectors().getFirst()).hasSize(384);
    }

    @Test
    void aModelThatCannotLoadAnswers503WithTheReason() throws Exception {
        LocalBackend backend = load();
        bundled.completeExceptionally(new IOException("ONNX Runtime's native library did not load"));
        assertThatThrownBy(() -> backend.prepare(new EmbeddingRequest(SentenceEmbeddingModel.BUNDLED, List.of("x"))))
                .isInstanceOfSatisfying(BackendException.class,
                        e -> assertThat(e.reason()).isEqualTo(BackendException.Reason.UNAVAILABLE))
                .hasMessageContaining("native library did not load").hasMessageContaining("--embedding-model off");
        // The chat model serves all the same.
        assertThat(backend.models()).anyMatch(m -> m.id().equals("stories260K") && m.chats());
    }

    @Test
    void aModelThatLoadsOnceTheServerHasStoppedIsNotServed() throws Exception {
        LocalBackend backend = load();
        backend.shutdown(Duration.ZERO);
        backend.close();
        local = null;
        assertThat(bundled).isCancelled();
        assertThatThrownBy(() -> backend.prepare(new EmbeddingRequest(SentenceEmbeddingModel.BUNDLED, List.of("x"))))
                .hasMessageContaining("shutting down");
    }
}
