package eu.souverain.server.audit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Checkpoints POSTed as JSON to a webhook (a SIEM's HTTP collector, say); any 2xx answer accepts one. */
public record WebhookSink(URI url) implements CheckpointSink {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Override
    public void append(Checkpoint checkpoint) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(checkpoint.toJson().toString())).build();
        HttpResponse<String> response;
        try {
            response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending a checkpoint to " + url, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new IOException(url + " answered " + response.statusCode() + " to a checkpoint");
        }
    }

    @Override
    public String describe() {
        // User info and query may carry a collector's token: scheme, host, port and path name it well enough.
        return "webhook " + url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + url.getPath();
    }
}
