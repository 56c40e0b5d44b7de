package eu.souverain.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.server.backends.BackendException;
import eu.souverain.server.batch.LineCalls;
import eu.souverain.server.batch.LineFailure;
import eu.souverain.server.limits.LimitExceeded;
import eu.souverain.server.sovereignty.ResidencyException;
import eu.souverain.server.tenancy.Principal;
import eu.souverain.server.tenancy.TenancyException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * A batch job's line, run by the same request handling as the route of its endpoint and through
 * the same model calls (residency, limits, audit, usage, provenance), answered with the body that
 * route would answer. A refusal is the line's failure with the status and error body the route
 * would give, except those that pass (a rate limit, a full queue, a model busy or not ready),
 * which the job tries again later.
 */
final class BatchCalls implements LineCalls {

    private final Generations generations;
    private final EmbeddingsRoute embeddings;

    BatchCalls(Generations generations, EmbeddingsRoute embeddings) {
        this.generations = generations;
        this.embeddings = embeddings;
    }

    @Override
    public Map<String, Object> run(Principal caller, String endpoint, ObjectNode body) throws LineFailure {
        try {
            return switch (endpoint) {
                case "/v1/chat/completions" -> {
                    ChatCompletionRequests.Call call = ChatCompletionRequests.parse(body, generations.defaultModel(),
                            Generations.RANDOM::nextLong);
                    if (call.store()) {
                        throw ApiError.invalid("store", "store is not available in a batch: the answers go to the"
                                + " job's output file");
                    }
                    yield generations.whole(caller, endpoint, call.request(), ChatCompletionsRoute.WIRE);
                }
                case "/v1/completions" -> {
                    CompletionRequests.Call call = CompletionRequests.parse(body, generations.defaultModel(),
                            Generations.RANDOM::nextLong);
                    yield generations.whole(caller, endpoint, call.request(), new CompletionsRoute.Text(call.echo()));
                }
                case "/v1/fim/completions" -> generations.whole(caller, endpoint, FimCompletionsRoute.request(body,
                                ChatCompletionRequests.settings(body, Generations.RANDOM::nextLong), generations.defaultModel()),
                        ChatCompletionsRoute.WIRE);
                case "/v1/embeddings" -> embeddings.answer(caller, null, body);
                default -> throw ApiError.invalid("endpoint", "no batch runs on " + endpoint);
            };
        } catch (ApiError e) {
            throw failure(e);
        } catch (BackendException e) {
            throw failure(ApiErrors.of(e));
        } catch (LimitExceeded e) {
            throw failure(ApiErrors.of(e));
        } catch (ResidencyException e) {
            throw failure(ApiErrors.of(e));
        } catch (TenancyException e) {
            throw failure(ApiErrors.of(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static LineFailure failure(ApiError e) {
        long retryAfter = 0;
        boolean budget = "budget_exceeded".equals(e.code());
        if ((e.status() == 429 && !budget) || e.status() == 503) {
            retryAfter = Math.max(1, Long.parseLong(e.headers().getOrDefault("Retry-After", "1")));
        }
        return new LineFailure(e.status(), e.code(), e.getMessage(), e.body(), retryAfter);
    }
}
