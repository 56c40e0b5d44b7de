package eu.souverain.server.api;

import eu.souverain.engine.model.Generator;
import eu.souverain.server.gateway.Backend;
import eu.souverain.server.gateway.Completion;
import eu.souverain.server.gateway.GenerationSink;
import eu.souverain.server.gateway.ModelInfo;
import eu.souverain.server.gateway.ToolCall;
import io.micrometer.core.instrument.Counter;
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
 * piece of text, queueing included, and between pieces) and how busy the model is.
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

    /** Gauges of each model's queue and running sequences, read from the backend at each scrape. */
    void watch(Backend backend) {
        for (ModelInfo model : backend.models()) {
            String id = model.id();
            Gauge.builder("souverain_queue_depth", () -> backend.load(id).waiting())
                    .description("requests waiting for the model").tag("model", id).register(registry);
            Gauge.builder("souverain_active_sequences", () -> backend.load(id).running())
                    .description("sequences the model is generating").tag("model", id).register(registry);
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
            public void finished(int choice, Generator.Finish finish) throws IOException {
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
