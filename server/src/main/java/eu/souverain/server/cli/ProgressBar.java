package eu.souverain.server.cli;

import eu.souverain.server.catalogue.Enrichment;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * A catalogue job's progress on stderr: products done of the total, the rate and the time left,
 * redrawn in place on a terminal, and a line every few seconds otherwise (a log file, a pipe).
 */
final class ProgressBar implements Enrichment.Listener {

    private static final int WIDTH = 30;
    private static final long LINE_INTERVAL_MS = 5000;

    private final PrintWriter err;
    private final boolean terminal;
    private final Clock clock;
    private final long started;
    private long total;
    private long lastLine;

    ProgressBar(PrintWriter err, boolean terminal, Clock clock) {
        this.err = err;
        this.terminal = terminal;
        this.clock = clock;
        this.started = clock.millis();
    }

    @Override
    public synchronized void started(Map<Integer, String> languages, long totalProducts) {
        this.total = totalProducts;
        err.println("souverain: " + totalProducts + " products, languages " + String.join(",", languages.values()));
        err.flush();
    }

    @Override
    public synchronized void progressed(Enrichment.Counts counts) {
        long now = clock.millis();
        if (!terminal && now - lastLine < LINE_INTERVAL_MS && counts.doneProducts() < total) {
            return;
        }
        lastLine = now;
        err.print((terminal ? "\r" : "") + line(counts) + (terminal ? "" : "\n"));
        err.flush();
    }

    @Override
    public synchronized void problem(String message) {
        err.println((terminal ? "\r\033[K" : "") + "souverain: " + message);
        err.flush();
    }

    synchronized void finish(Enrichment.Counts counts) {
        if (terminal) {
            err.println("\r" + line(counts));
            err.flush();
        }
    }

    String line(Enrichment.Counts counts) {
        long done = counts.doneProducts();
        int filled = total == 0 ? WIDTH : (int) (WIDTH * done / total);
        String eta = done == 0 || done >= total ? "--:--"
                : clockTime(Duration.ofMillis((clock.millis() - started) * (total - done) / done));
        return "[" + "=".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + done + "/" + total + " products, "
                + counts.written() + " fields, " + rate(done) + "/min, ETA " + eta;
    }

    /** Products per minute since the start. */
    String rate(long done) {
        long elapsed = Math.max(1, clock.millis() - started);
        return String.format(java.util.Locale.ROOT, "%.1f", done * 60_000.0 / elapsed);
    }

    String elapsed() {
        return clockTime(Duration.ofMillis(clock.millis() - started));
    }

    private static String clockTime(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
