package eu.souverain.server.api;

import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.prompt.ToolCall;
import eu.souverain.server.backends.Backends;
import eu.souverain.server.backends.Completion;
import eu.souverain.server.backends.GenerationSink;
import eu.souverain.server.backends.ModelInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The server's metrics, in Prometheus' text format at GET /metrics: requests by route and status,
 * and per model the tokens read and written, the latencies a client feels (time to the first
 * piece of text, queueing included, and between pieces) and how busy the model is: its queue, its
 * running sequences, its key/value cache's blocks and the prompt tokens its prefix cache saved.
 */
final class ApiMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** One answered request; {@code route} is the route's pattern, never the raw path, to keep the series few. */
    void request(String route, int status) {
        Counter.builder("souverain_http_requests")
                .description("HTTP requests answered, by route and status")
                .tag("route", route).tag("status", Integer.toString(status))
                .register(registry).increment();
    }

    /** Gauges of each model's queue, running sequences and key/value cache, read from its backend at each scrape. */
    void watch(Backends backends) {
        for (ModelInfo model : backends.models()) {
            String id = model.id();
            Gauge.builder("souverain_queue_depth", () -> backends.serving(id).load(id).waiting())
                    .description("requests waiting for the model").tag("model", id).register(registry);
            Gauge.builder("souverain_active_sequences", () -> backends.serving(id).load(id).running())
                    .description("sequences the model is generating").tag("model", id).register(registry);
            Gauge.builder("souverain_kv_cache_blocks", () -> backends.serving(id).load(id).kvBlocksUsed())
                    .description("key/value cache blocks: held by sequences (used), held only by the prefix cache "
                            + "(cached), empty (free)").tag("model", id).tag("state", "used").register(registry);
            Gauge.builder("souverain_kv_cache_blocks", () -> backends.serving(id).load(id).kvBlocksCached())
                    .tag("model", id).tag("state", "cached").register(registry);
            Gauge.builder("souverain_kv_cache_blocks", () -> backends.serving(id).load(id).kvBlocksFree())
                    .tag("model", id).tag("state", "free").register(registry);
            FunctionCounter.builder("souverain_prefix_cache_hit_tokens", backends,
                            b -> b.serving(id).load(id).cachedPromptTokens())
                    .description("prompt tokens whose keys and values came from the prefix cache")
                    .tag("model", id).register(registry);
        }
    }

    /** {@code sink}, timing the pieces that pass through it from {@code started} (System.nanoTime) on. */
    GenerationSink timed(String model, long started, GenerationSink sink) {
        Timer firstToken = latency("souverain_time_to_first_token", "from the request to its first piece of text", model);
        Timer interToken = latency("souverain_inter_token_latency", "between consecutive pieces of text", model);
        return new GenerationSink() {
            private long last = -1;

            @Override
            public void text(int choice, String text) throws IOException {
                long now = System.nanoTime();
                if (last < 0) {
                    firstToken.record(now - started, TimeUnit.NANOSECONDS);
                } else {
                    interToken.record(now - last, TimeUnit.NANOSECONDS);
                }
                last = now;
                sink.text(choice, text);
            }

            @Override
            public void toolCalls(int choice, List<ToolCall> calls) throws IOException {
                sink.toolCalls(choice, calls);
            }

            @Override
            public void finished(int choice, FinishReason finish) throws IOException {
                sink.finished(choice, finish);
            }
        };
    }

    void completed(String model, Completion completion) {
        Counter.builder("souverain_prompt_tokens").description("prompt tokens read").tag("model", model)
                .register(registry).increment(completion.promptTokens());
        Counter.builder("souverain_completion_tokens").description("tokens generated").tag("model", model)
                .register(registry).increment(completion.completionTokens());
    }

    String scrape() {
        return registry.scrape();
    }

    private Timer latency(String name, String description, String model) {
        return Timer.builder(name).description(description).tag("model", model)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
    }
}
