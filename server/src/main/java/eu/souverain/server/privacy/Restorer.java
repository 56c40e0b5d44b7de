package eu.souverain.server.privacy;

import java.util.Map;

/**
 * Puts the values back into a streamed answer. A placeholder may arrive split across pieces
 * ({@code "[EM"}, {@code "AIL_1]"}), so text from a {@code [} on is held back only while it could
 * still become a placeholder; everything before it goes out at once. Not thread-safe: one per stream.
 */
public final class Restorer {

    private final Map<String, String> originals;
    private final StringBuilder pending = new StringBuilder();

    Restorer(Map<String, String> originals) {
        this.originals = originals;
    }

    /** The text that can go out now that {@code piece} has arrived, values restored; possibly empty. */
    public String push(String piece) {
        pending.append(piece);
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < pending.length()) {
            int open = pending.indexOf("[", at);
            if (open < 0) {
                out.append(pending, at, pending.length());
                at = pending.length();
                break;
            }
            out.append(pending, at, open);
            String whole = placeholderAt(open);
            if (whole != null) {
                out.append(originals.get(whole));
                at = open + whole.length();
            } else if (mayBecomePlaceholder(open)) {
                at = open;
                break;
            } else {
                out.append('[');
                at = open + 1;
            }
        }
        pending.delete(0, at);
        return out.toString();
    }

    /** What is still held at the end of the answer: the start of a placeholder that never came whole. */
    public String finish() {
        String rest = pending.toString();
        pending.setLength(0);
        return rest;
    }

    private String placeholderAt(int at) {
        for (String placeholder : originals.keySet()) {
            if (pending.length() - at >= placeholder.length()
                    && pending.substring(at, at + placeholder.length()).equals(placeholder)) {
                return placeholder;
            }
        }
        return null;
    }

    private boolean mayBecomePlaceholder(int at) {
        String tail = pending.substring(at);
        for (String placeholder : originals.keySet()) {
            if (placeholder.length() > tail.length() && placeholder.startsWith(tail)) {
                return true;
            }
        }
        return false;
    }
}
