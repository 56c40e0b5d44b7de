package eu.souverain.engine.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Python's str methods that chat templates call, with Python's rules for whitespace and casing. */
final class PythonStrings {

    private PythonStrings() {}

    /** str.isspace for one code point: Java's whitespace plus the no-break spaces and NEL. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.codePointAt(start), chars)) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (right && end > start && stripped(s.codePointBefore(end), chars)) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    private static boolean stripped(int c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    /** str.split: on runs of whitespace when {@code separator} is null, at most {@code maxSplit} times when not negative. */
    static List<String> split(String s, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                if (i >= s.length()) {
                    return parts;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(strip(s.substring(i), null, false, true));
                    return parts;
                }
                int start = i;
                while (i < s.length() && !isSpace(s.codePointAt(i))) {
                    i += Character.charCount(s.codePointAt(i));
                }
                parts.add(s.substring(start, i));
            }
        }
        if (separator.isEmpty()) {
            throw new ChatTemplateException("split: empty separator");
        }
        int start = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, start)) >= 0) {
            parts.add(s.substring(start, at));
            start = at + separator.length();
        }
        parts.add(s.substring(start));
        return parts;
    }

    /** str.replace: at most {@code count} replacements when not negative; an empty {@code old} matches between characters. */
    static String replace(String s, String old, String replacement, int count) {
        StringBuilder out = new StringBuilder(s.length());
        int start = 0;
        int done = 0;
        if (old.isEmpty()) {
            while (done != count) {
                out.append(replacement);
                done++;
                if (start == s.length()) {
                    return out.toString();
                }
                int c = s.codePointAt(start);
                out.appendCodePoint(c);
                start += Character.charCount(c);
            }
            return out.append(s, start, s.length()).toString();
        }
        int at;
        while (done != count && (at = s.indexOf(old, start)) >= 0) {
            out.append(s, start, at).append(replacement);
            start = at + old.length();
            done++;
        }
        return out.append(s, start, s.length()).toString();
    }

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** str.title: a cased letter after a cased letter goes lower case, any other one title case. */
    static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i += Character.charCount(s.codePointAt(i))) {
            int c = s.codePointAt(i);
            out.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
        }
        return out.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
                .append(lower(s.substring(Character.charCount(first)))).toString();
    }

    static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
