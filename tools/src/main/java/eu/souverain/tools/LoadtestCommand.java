package eu.souverain.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Drives a running server's streamed chat completions from concurrent clients and reports what
 * its users would see: throughput, time to first token and the gaps between tokens.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true,
        description = {
            "Send streamed chat completions (POST /v1/chat/completions, stream: true) to a running Souverain or any"
                    + " OpenAI-compatible server from N concurrent clients until M requests are done, and report"
                    + " generation tokens/s (completion tokens from the server's usage, else the content pieces"
                    + " counted, over wall time), requests/s, time to first token p50/p95/p99 (request sent to"
                    + " first content piece), inter-token latency p50/p99 (gaps between content pieces) and the"
                    + " failures by kind: http_<status>, connection, timeout, stream_error (an error event),"
                    + " stream_incomplete (the stream ended before the answer did).",
            "Prompts are words that are one token each in the Llama and Mistral vocabularies (other tokenizers may"
                    + " count more), so --prompt-tokens is the prompt's length in tokens there, before the chat"
                    + " template. The first --shared-prefix-tokens words are the same in every request (a shared"
                    + " system prompt or document, which a prefix cache can reuse); the rest differ per request."
                    + " Requests use temperature 0, max_tokens, and seed = the request's number.",
            "Stdout carries the report (or, with --json, one JSON object); progress goes to stderr. Exit code 0 when"
                    + " every measured request completed, 1 otherwise."})
public final class LoadtestCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", required = true, paramLabel = "URL",
            description = "The server: http://host:port, its /v1 base URL, or the full /v1/chat/completions URL.")
    String url;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "NAME", description = "The model to ask for.")
    String model;

    @Option(names = {"-c", "--concurrency"}, paramLabel = "N", defaultValue = "1",
            description = "Clients sending at once, each its next request as soon as the last one ends (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--requests", paramLabel = "M", defaultValue = "16",
            description = "Measured requests in all (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--warmup", paramLabel = "K", defaultValue = "0",
            description = "Requests sent one at a time before the measured ones, not counted (default: ${DEFAULT-VALUE});"
                    + " one warms a shared prefix into the server's cache.")
    int warmup;

    @Option(names = {"-p", "--prompt-tokens"}, paramLabel = "P", defaultValue = "64",
            description = "Prompt length in one-token words (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--shared-prefix-tokens", paramLabel = "S", defaultValue = "0",
            description = "How many of the prompt's words every request shares (default: ${DEFAULT-VALUE}).")
    int sharedPrefixTokens;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "T", defaultValue = "32",
            description = "max_tokens of each request (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Sent as 'Authorization: Bearer KEY'.")
    String apiKey;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "A request still unfinished after this long fails as a timeout (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--json", description = "Print one JSON object instead of the report.")
    boolean json;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        requireAtLeast("--concurrency", concurrency, 1);
        requireAtLeast("--requests", requests, 1);
        requireAtLeast("--warmup", warmup, 0);
        requireAtLeast("--prompt-tokens", promptTokens, 1);
        requireAtLeast("--shared-prefix-tokens", sharedPrefixTokens, 0);
        requireAtLeast("--max-tokens", maxTokens, 1);
        requireAtLeast("--timeout", timeoutSeconds, 1);
        if (sharedPrefixTokens > promptTokens) {
            throw new ParameterException(spec.commandLine(), "--shared-prefix-tokens " + sharedPrefixTokens
                    + " is more than --prompt-tokens " + promptTokens);
        }
        URI endpoint = endpoint(url);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadPrompts prompts = new LoadPrompts(promptTokens, sharedPrefixTokens);

        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
             HttpClient client = HttpClient.newBuilder()
                     .version(HttpClient.Version.HTTP_1_1)
                     .connectTimeout(Duration.ofSeconds(Math.min(timeoutSeconds, 10)))
                     .executor(threads)
                     .build()) {
            StreamedChat chat = new StreamedChat(client, endpoint, apiKey, Duration.ofSeconds(timeoutSeconds));
            for (int i = 0; i < warmup; i++) {
                StreamedChat.Outcome outcome = chat.send(body(prompts, i));
                err.printf(Locale.ROOT, "warm-up %d/%d: %s%n", i + 1, warmup,
                        outcome.completed() ? "done" : outcome.error() + ": " + outcome.detail());
            }
            err.printf(Locale.ROOT, "%d requests from %d clients to %s%n", requests, concurrency, endpoint);
            StreamedChat.Outcome[] outcomes = new StreamedChat.Outcome[requests];
            AtomicInteger next = new AtomicInteger();
            long start = System.nanoTime();
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                clients.add(threads.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < requests; ) {
                        outcomes[i] = chat.send(body(prompts, warmup + i));
                    }
                    return null;
                }));
            }
            for (Future<?> running : clients) {
                running.get();
            }
            long wall = System.nanoTime() - start;
            Report report = Report.of(outcomes, wall);
            report.firstErrors.forEach((kind, detail) -> err.println(kind + ": " + detail));
            if (json) {
                out.println(JSON.writeValueAsString(toJson(report)));
            } else {
                print(out, report);
            }
            return report.failed == 0 ? 0 : 1;
        }
    }

    /** The base URLs people copy (the server's root, the /v1 that clients take) lead to the same route. */
    private URI endpoint(String given) {
        URI uri;
        try {
            uri = URI.create(given);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--url '" + given + "' is not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new ParameterException(spec.commandLine(),
                    "--url '" + given + "' is not an http:// or https:// URL with a host");
        }
        String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
        if (!path.endsWith("/chat/completions")) {
            path += path.endsWith("/v1") ? "/chat/completions" : "/v1/chat/completions";
        }
        return uri.resolve(path);
    }

    private String body(LoadPrompts prompts, int index) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", prompts.prompt(index));
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        body.put("temperature", 0);
        body.put("max_tokens", maxTokens);
        body.put("seed", index);
        return body.toString();
    }

    /** What the measured requests add up to. */
    record Report(int completed, int failed, Map<String, Integer> errors, Map<String, String> firstErrors,
                  double wallSeconds, long completionTokens, long promptTokens, long cachedTokens,
                  long[] firstTokenNanos, long[] gapsNanos) {

        static Report of(StreamedChat.Outcome[] outcomes, long wallNanos) {
            int completed = 0;
            Map<String, Integer> errors = new TreeMap<>();
            Map<String, String> firstErrors = new TreeMap<>();
            long completion = 0;
            long prompt = 0;
            long cached = 0;
            List<Long> firstTokens = new ArrayList<>();
            List<Long> gaps = new ArrayList<>();
            for (StreamedChat.Outcome o : outcomes) {
                if (!o.completed()) {
                    errors.merge(o.error(), 1, Integer::sum);
                    firstErrors.putIfAbsent(o.error(), o.detail());
                    continue;
                }
                completed++;
                completion += o.completionTokens();
                prompt += o.promptTokens();
                cached += o.cachedTokens();
                if (o.firstTokenNanos() >= 0) {
                    firstTokens.add(o.firstTokenNanos());
                }
                for (long gap : o.gapsNanos()) {
                    gaps.add(gap);
                }
            }
            return new Report(completed, outcomes.length - completed, errors, firstErrors, wallNanos / 1e9,
                    completion, prompt, cached, sorted(firstTokens), sorted(gaps));
        }

        double tokensPerSecond() {
            return completionTokens / wallSeconds;
        }

        double requestsPerSecond() {
            return completed / wallSeconds;
        }

        private static long[] sorted(List<Long> values) {
            long[] array = values.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(array);
            return array;
        }
    }

    /** Nearest rank: the smallest value that at least p % of the values do not exceed; null for none. */
    public static Double percentileMillis(long[] sortedNanos, double p) {
        if (sortedNanos.length == 0) {
            return null;
        }
        int rank = (int) Math.ceil(p / 100 * sortedNanos.length);
        return sortedNanos[Math.max(rank, 1) - 1] / 1e6;
    }

    private ObjectNode toJson(Report report) {
        ObjectNode result = JSON.createObjectNode()
                .put("url", endpoint(url).toString())
                .put("model", model)
                .put("concurrency", concurrency)
                .put("requests", requests)
                .put("warmup", warmup)
                .put("prompt_tokens", promptTokens)
                .put("shared_prefix_tokens", sharedPrefixTokens)
                .put("max_tokens", maxTokens)
                .put("completed", report.completed())
                .put("failed", report.failed());
        ObjectNode errors = result.putObject("errors");
        report.errors().forEach(errors::put);
        result.put("wall_s", report.wallSeconds())
                .put("generation_tokens_per_s", report.tokensPerSecond())
                .put("requests_per_s", report.requestsPerSecond());
        result.putObject("usage")
                .put("completion_tokens", report.completionTokens())
                .put("prompt_tokens", report.promptTokens())
                .put("cached_prompt_tokens", report.cachedTokens());
        ObjectNode ttft = result.putObject("ttft_ms");
        for (double p : new double[] {50, 95, 99}) {
            ttft.put("p" + (int) p, percentileMillis(report.firstTokenNanos(), p));
        }
        ObjectNode itl = result.putObject("itl_ms");
        for (double p : new double[] {50, 99}) {
            itl.put("p" + (int) p, percentileMillis(report.gapsNanos(), p));
        }
        return result;
    }

    private static void print(PrintWriter out, Report r) {
        out.printf(Locale.ROOT, "requests: %d completed, %d failed in %.2f s (%.2f requests/s)%n",
                r.completed(), r.failed(), r.wallSeconds(), r.requestsPerSecond());
        out.printf(Locale.ROOT, "generation: %d tokens, %.2f tokens/s%n", r.completionTokens(), r.tokensPerSecond());
        out.printf(Locale.ROOT, "prompts: %d tokens as the server counts them, %d of them cached%n",
                r.promptTokens(), r.cachedTokens());
        out.printf(Locale.ROOT, "time to first token: p50 %s, p95 %s, p99 %s%n", millis(r.firstTokenNanos(), 50),
                millis(r.firstTokenNanos(), 95), millis(r.firstTokenNanos(), 99));
        out.printf(Locale.ROOT, "inter-token latency: p50 %s, p99 %s%n", millis(r.gapsNanos(), 50),
                millis(r.gapsNanos(), 99));
        if (!r.errors().isEmpty()) {
            StringBuilder line = new StringBuilder("errors:");
            r.errors().forEach((kind, count) -> line.append(' ').append(kind).append(' ').append(count));
            out.println(line);
        }
    }

    private static String millis(long[] sortedNanos, double p) {
        Double value = percentileMillis(sortedNanos, p);
        return value == null ? "-" : String.format(Locale.ROOT, "%.1f ms", value);
    }

    private void requireAtLeast(String option, int value, int least) {
        if (value < least) {
            throw new ParameterException(spec.commandLine(), option + " must be at least " + least + ", was " + value);
        }
    }
}
