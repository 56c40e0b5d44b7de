package eu.souverain.engine.sample;

import java.util.List;
import java.util.Objects;

/**
 * Finds stop sequences in streamed text. Whatever could still become a stop sequence is held
 * back, so no part of one is ever emitted; the stop sequence and everything after it are
 * dropped, as OpenAI's and llama.cpp's servers do.
 */
public final class StopMatcher {

    private final List<String> stops;
    private String pending = "";
    private boolean stopped;

    /** An empty list passes everything through. */
    public StopMatcher(List<String> stops) {
        Objects.requireNonNull(stops, "stops");
        for (int i = 0; i < stops.size(); i++) {
            String stop = stops.get(i);
            if (stop == null || stop.isEmpty()) {
                throw new IllegalArgumentException("stop sequence " + i + " is " + (stop == null ? "null" : "empty"));
            }
        }
        this.stops = List.copyOf(stops);
    }

    /** Adds a piece of generated text and returns what is safe to emit now (possibly ""). */
    public String feed(String piece) {
        Objects.requireNonNull(piece, "piece");
        if (stopped) {
            return "";
        }
        String text = pending.concat(piece);
        int stopAt = firstStop(text);
        if (stopAt >= 0) {
            stopped = true;
            pending = "";
            return text.substring(0, stopAt);
        }
        int emit = text.length() - longestStopPrefixAtEnd(text);
        pending = text.substring(emit);
        return text.substring(0, emit);
    }

    /** True once a stop sequence has been seen. */
    public boolean stopped() {
        return stopped;
    }

    /** At the end of generation: the text held back, or "" once stopped. */
    public String flush() {
        String rest = stopped ? "" : pending;
        pending = "";
        return rest;
    }

    /** Where the earliest stop sequence in {@code text} begins, or -1. */
    private int firstStop(String text) {
        int first = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /** The length of the longest end of {@code text} that some stop sequence begins with. */
    private int longestStopPrefixAtEnd(String text) {
        int longest = 0;
        for (String stop : stops) {
            for (int length = Math.min(stop.length() - 1, text.length()); length > longest; length--) {
                if (text.regionMatches(text.length() - length, stop, 0, length)) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
