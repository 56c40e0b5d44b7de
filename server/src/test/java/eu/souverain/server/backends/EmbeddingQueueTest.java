package eu.souverain.server.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The order in which an embedding queue takes its inputs, with a worker that takes 10 ms an input. */
class EmbeddingQueueTest {

    private final AtomicInteger embedded = new AtomicInteger();
    private final CountDownLatch started = new CountDownLatch(1);

    private EmbeddingQueue queue() {
        return new EmbeddingQueue(() -> new EmbeddingQueue.Worker() {
            @Override
            public float[] embed(int[] input) {
                started.countDown();
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                embedded.incrementAndGet();
                return new float[] {input[0]};
            }

            @Override
            public void close() {}
        }, Duration.ofMinutes(1));
    }

    private static List<int[]> inputs(int count) {
        List<int[]> inputs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            inputs.add(new int[] {i, 1, 2});
        }
        return inputs;
    }

    @Test
    void anInteractiveRequestPassesABackgroundOneOfTheSameOwner() throws Exception {
        EmbeddingQueue queue = queue();
        try {
            CompletableFuture<Embeddings> batch = queue.add("org-a", true, inputs(100));
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            Embeddings interactive = queue.add("org-a", false, inputs(1)).get(10, TimeUnit.SECONDS);
            // Behind at most the background input being embedded when it came, not the 99 after it.
            assertThat(interactive.vectors()).hasSize(1);
            assertThat(embedded.get()).isLessThan(10);
            assertThat(batch.get(30, TimeUnit.SECONDS).vectors()).hasSize(100);
        } finally {
            queue.close(BackendException.unavailable("the test is over"));
        }
    }

    @Test
    void interactiveRequestsOfTheSameOwnerGoInTheOrderTheyCame() throws Exception {
        EmbeddingQueue queue = queue();
        try {
            CompletableFuture<Embeddings> first = queue.add("org-a", false, inputs(20));
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            queue.add("org-a", false, inputs(1)).get(30, TimeUnit.SECONDS);
            assertThat(first).isDone();
        } finally {
            queue.close(BackendException.unavailable("the test is over"));
        }
    }
}
