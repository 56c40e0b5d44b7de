package eu.souverain.server.audit;

import java.net.URI;
import java.nio.file.Path;

/**
 * Somewhere outside the database that receives every checkpoint, so that rewriting the database
 * (audit entries and checkpoints alike) cannot hide it: a file on another volume, or a webhook
 * such as the customer's SIEM.
 */
public sealed interface CheckpointSink permits FileSink, WebhookSink {

    void append(Checkpoint checkpoint) throws java.io.IOException;

    /** Where it writes, for messages and the sovereignty report. */
    String describe();

    /** {@code file:/PATH} or an {@code http(s)://} URL. */
    static CheckpointSink parse(String spec) {
        if (spec.startsWith("file:")) {
            String path = spec.substring("file:".length());
            if (path.isBlank()) {
                throw new IllegalArgumentException("--audit-sink file: needs a path, e.g. file:/mnt/audit/checkpoints.jsonl");
            }
            return new FileSink(Path.of(path));
        }
        if (spec.startsWith("https://") || spec.startsWith("http://")) {
            return new WebhookSink(URI.create(spec));
        }
        throw new IllegalArgumentException("--audit-sink must be file:/PATH or an http(s):// URL, not '" + spec + "'");
    }
}
