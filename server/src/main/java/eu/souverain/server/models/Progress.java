package eu.souverain.server.models;

import java.io.PrintWriter;
import java.util.Locale;

/** A progress line on stderr, redrawn in place: bytes so far, percentage, rate and time left. */
final class Progress {

    private static final long REDRAW_NANOS = 200_000_000L;

    private final PrintWriter err;
    private final String name;
    private final long total;
    private final long resumedAt;
    private final long started = System.nanoTime();
    private long drawn;

    Progress(PrintWriter err, String name, long total, long resumedAt) {
        this.err = err;
        this.name = name;
        this.total = total;
        this.resumedAt = resumedAt;
    }

    void at(long bytes, boolean last) {
        long now = System.nanoTime();
        if (!last && now - drawn < REDRAW_NANOS) {
            return;
        }
        drawn = now;
        double seconds = Math.max(1e-3, (now - started) / 1e9);
        double rate = (bytes - resumedAt) / seconds;
        String eta = rate <= 0 ? "?" : duration((total - bytes) / rate);
        int percent = total <= 0 ? 100 : (int) (100 * bytes / total);
        int filled = percent / 5;
        err.print(String.format(Locale.ROOT, "\r%s [%-20s] %3d%% %s / %s  %s/s  ETA %s   ", name,
                "#".repeat(filled), percent, bytes(bytes), bytes(total), bytes((long) rate), eta));
        if (last) {
            err.println();
        }
        err.flush();
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = n;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
