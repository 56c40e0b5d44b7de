package eu.souverain.server.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The training run of the JDK's ahead-of-time cache, which the launcher makes once per build
 * ({@code java -XX:AOTCacheOutput=... -Dsouverain.aot-training=DIR -jar souverain.jar}): the
 * commands a user starts most, in one JVM, so that the cache holds their classes loaded and linked
 * and their methods' profiles. Output is discarded; {@code DIR} takes the throw-away store of serve.
 */
final class AotTraining {

    static final String PROPERTY = "souverain.aot-training";
    /** What serve says once its bundled embedding model has loaded (or could not), after it serves. */
    private static final Pattern SERVING = Pattern.compile("embedding model \\S+ (loaded|cannot load)");

    private AotTraining() {}

    static void run(Path scratch) throws IOException, InterruptedException {
        PrintWriter discard = new PrintWriter(Writer.nullWriter());
        Main.run(new String[] {"--help"}, discard, discard);
        Main.run(new String[] {"generate", "--help"}, discard, discard);
        Main.run(new String[] {"generate", "--prompt", "Once upon a time", "--max-tokens", "16"}, discard, discard);
        serveUntilItServes(scratch.resolve("data"));
    }

    /** Starts serve on a free port and waits until its models are loaded; the JVM's exit stops it. */
    private static void serveUntilItServes(Path data) throws IOException, InterruptedException {
        StringWriter err = new StringWriter();
        PrintWriter discard = new PrintWriter(Writer.nullWriter());
        Thread serve = Thread.ofPlatform().daemon().start(() -> Main.run(new String[] {"serve", "--port", "0",
                "--data", data.toString()}, discard, new PrintWriter(err, true)));
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!SERVING.matcher(err.toString()).find()) {
            if (!serve.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("serve did not start: " + err);
            }
            Thread.sleep(20);
        }
    }
}
