package eu.souverain.engine.chat;

import java.util.function.UnaryOperator;

/**
 * A pair of private-use characters that fence untrusted text while a template renders, so that the
 * output can be split into what the template wrote and what the conversation supplied. The pair is
 * chosen absent from the template and from every input string, so no input can forge a fence.
 */
record UntrustedMarks(char open, char close) {

    private static final char FIRST_PRIVATE_USE = '\uE000';
    private static final char LAST_PRIVATE_USE = '\uF8FF';

    /** The first two private-use characters that occur nowhere in {@code texts}. */
    static UntrustedMarks absentFrom(Iterable<String> texts) {
        boolean[] used = new boolean[LAST_PRIVATE_USE - FIRST_PRIVATE_USE + 1];
        for (String text : texts) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c >= FIRST_PRIVATE_USE && c <= LAST_PRIVATE_USE) {
                    used[c - FIRST_PRIVATE_USE] = true;
                }
            }
        }
        char[] pair = new char[2];
        int found = 0;
        for (int i = 0; i < used.length && found < 2; i++) {
            if (!used[i]) {
                pair[found++] = (char) (FIRST_PRIVATE_USE + i);
            }
        }
        if (found < 2) {
            throw new ChatTemplateException("the conversation uses every private-use character; cannot mark untrusted text");
        }
        return new UntrustedMarks(pair[0], pair[1]);
    }

    String wrap(String text) {
        return text.isEmpty() ? text : open + text + close;
    }

    boolean isMark(int c) {
        return c == open || c == close;
    }

    String strip(String text) {
        if (text.indexOf(open) < 0 && text.indexOf(close) < 0) {
            return text;
        }
        StringBuilder visible = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!isMark(c)) {
                visible.append(c);
            }
        }
        return visible.toString();
    }

    /**
     * Applies a string operation to the text inside a single fenced region and fences the result
     * again, so that operations such as trim or split see the text the template would see without
     * marks; text that is not exactly one region is handed to the operation as it is.
     */
    String applyInside(String text, UnaryOperator<String> operation) {
        return isOneRegion(text) ? wrap(operation.apply(text.substring(1, text.length() - 1))) : operation.apply(text);
    }

    boolean isOneRegion(String text) {
        if (text.length() < 2 || text.charAt(0) != open || text.charAt(text.length() - 1) != close) {
            return false;
        }
        for (int i = 1; i < text.length() - 1; i++) {
            if (isMark(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
