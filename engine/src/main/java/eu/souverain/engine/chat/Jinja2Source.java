package eu.souverain.engine.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Translates a jinja2 template into the Jinjava source that renders the same text, doing ourselves
 * what Jinjava does differently:
 * <ul>
 * <li>line endings: jinja2 reads any line ending as \n and drops one final newline of the template;
 * <li>trim_blocks and lstrip_blocks: jinja2 strips the spaces before a block or comment tag only
 *     when nothing else precedes it on its line, and {@code {%+} / {@code +%}} turn either off
 *     for one tag; Jinjava strips before any block tag. They are applied to the text here, and
 *     Jinjava's own options stay off;
 * <li>{@code not} binds looser than comparisons and tests in jinja2: {@code not tools is defined}
 *     means {@code not (tools is defined)}, while Jinjava applies {@code not} to {@code tools}
 *     alone. Every prefix {@code not} gets its operand parenthesized as jinja2's grammar delimits
 *     it: up to the next {@code and}, {@code or}, {@code if}, {@code else}, comma, colon or
 *     closing bracket at the same nesting level;
 * <li>printing: jinja2 prints an expression's value as Python's str() ({@code True},
 *     {@code ['a']}); every {@code {{ x }}} becomes {@code {{ (x)|string }}}, whose filter does that.
 * </ul>
 */
final class Jinja2Source {

    private static final Pattern END_RAW = Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%}");
    private static final Pattern START_RAW = Pattern.compile("[-+]?\\s*raw\\s*[-+]?");
    /** Tokens after which {@code not} starts an operand rather than continuing {@code is not}. */
    private static final Set<String> BEFORE_PREFIX_NOT = Set.of("and", "or", "not", "if", "elif", "else", "(", "[", "{", ",", ":", "=");
    private static final Set<String> OPERAND_END = Set.of("and", "or", "if", "else", ",", ":");

    private Jinja2Source() {}

    static String translate(String source) {
        String text = source.replace("\r\n", "\n").replace('\r', '\n');
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        int i = 0;
        boolean raw = false;
        while (i < text.length()) {
            int open = raw ? endRaw(text, i) : nextOpening(text, i);
            if (open < 0) {
                out.append(text, i, text.length());
                break;
            }
            char kind = text.charAt(open + 1);
            boolean keepSpaceBefore = kind != '{' && open + 2 < text.length() && text.charAt(open + 2) == '+';
            int dataEnd = kind != '{' && !keepSpaceBefore ? lineIndentStart(text, i, open) : open;
            out.append(text, i, dataEnd).append(text, open, open + 2);
            int bodyStart = keepSpaceBefore ? open + 3 : open + 2;
            int close = kind == '#' ? text.indexOf("#}", bodyStart) : closing(text, bodyStart, kind == '{' ? '}' : '%');
            if (close < 0) {
                out.append(text, bodyStart, text.length());
                break;
            }
            String body = text.substring(bodyStart, close);
            boolean keepNewlineAfter = kind != '{' && body.endsWith("+");
            if (keepNewlineAfter) {
                body = body.substring(0, body.length() - 1);
            }
            out.append(kind == '#' ? body : rewrite(body, kind == '{')).append(text, close, close + 2);
            i = close + 2;
            if (kind != '{' && !keepNewlineAfter && i < text.length() && text.charAt(i) == '\n') {
                i++;
            }
            if (kind == '%') {
                raw = START_RAW.matcher(body).matches();
            }
        }
        return out.toString();
    }

    /** Where the spaces and tabs that alone precede a tag on its line begin, or the tag itself when other text precedes it. */
    private static int lineIndentStart(String text, int dataStart, int tag) {
        int start = tag;
        while (start > dataStart && text.charAt(start - 1) != '\n' && Character.isWhitespace(text.charAt(start - 1))) {
            start--;
        }
        return start == 0 || text.charAt(start - 1) == '\n' ? start : tag;
    }

    private static int endRaw(String text, int from) {
        Matcher end = END_RAW.matcher(text);
        return end.find(from) ? end.start() : -1;
    }

    private static int nextOpening(String source, int from) {
        for (int i = source.indexOf('{', from); i >= 0 && i + 1 < source.length(); i = source.indexOf('{', i + 1)) {
            char next = source.charAt(i + 1);
            if (next == '{' || next == '%' || next == '#') {
                return i;
            }
        }
        return -1;
    }

    /** Start of the closing delimiter ({@code }}} or {@code %}}), skipping strings and nested brackets. */
    private static int closing(String source, int from, char delimiter) {
        int depth = 0;
        for (int i = from; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == '"' || c == '\'') {
                i = endOfString(source, i);
            } else if (c == '(' || c == '[' || (c == '{')) {
                depth++;
            } else if (depth == 0 && c == delimiter && i + 1 < source.length() && source.charAt(i + 1) == '}') {
                return i;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            }
        }
        return -1;
    }

    private static int endOfString(String source, int quoteAt) {
        char quote = source.charAt(quoteAt);
        for (int i = quoteAt + 1; i < source.length(); i++) {
            char c = source.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i;
            }
        }
        return source.length() - 1;
    }

    private record Token(String text, boolean space) {}

    /**
     * Rewrites the inside of one tag or expression, leaving its whitespace-control markers in
     * place; an expression's value goes through the string filter, so it prints as Python's str().
     */
    private static String rewrite(String body, boolean expression) {
        int start = !body.isEmpty() && (body.charAt(0) == '-' || body.charAt(0) == '+') ? 1 : 0;
        int end = body.length() > start && (body.endsWith("-") || body.endsWith("+")) ? body.length() - 1 : body.length();
        List<Token> tokens = tokenize(body.substring(start, end));
        StringBuilder out = new StringBuilder(body.length() + 16).append(body, 0, start);
        if (expression) {
            out.append("(");
        }
        rewrite(tokens, 0, tokens.size(), out);
        if (expression) {
            out.append(")|string");
        }
        return out.append(body, end, body.length()).toString();
    }

    private static void rewrite(List<Token> tokens, int from, int to, StringBuilder out) {
        String previous = null;
        for (int i = from; i < to; i++) {
            Token token = tokens.get(i);
            if (token.space()) {
                out.append(token.text());
                continue;
            }
            if (token.text().equals("not") && (previous == null || BEFORE_PREFIX_NOT.contains(previous))
                    && !"in".equals(nextSignificant(tokens, i + 1, to))) {
                int end = operandEnd(tokens, i + 1, to);
                out.append("not (");
                rewrite(tokens, i + 1, end, out);
                out.append(')');
                i = end - 1;
                previous = ")";
                continue;
            }
            out.append(token.text());
            previous = token.text();
        }
    }

    private static String nextSignificant(List<Token> tokens, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!tokens.get(i).space()) {
                return tokens.get(i).text();
            }
        }
        return null;
    }

    private static int operandEnd(List<Token> tokens, int from, int to) {
        int depth = 0;
        for (int i = from; i < to; i++) {
            String text = tokens.get(i).text();
            if (tokens.get(i).space()) {
                continue;
            }
            if (text.equals("(") || text.equals("[") || text.equals("{")) {
                depth++;
            } else if (text.equals(")") || text.equals("]") || text.equals("}")) {
                if (depth-- == 0) {
                    return trimSpace(tokens, from, i);
                }
            } else if (depth == 0 && OPERAND_END.contains(text)) {
                return trimSpace(tokens, from, i);
            }
        }
        return trimSpace(tokens, from, to);
    }

    /** Leaves trailing whitespace, such as that before {@code -%}}, outside the parentheses. */
    private static int trimSpace(List<Token> tokens, int from, int end) {
        while (end > from && tokens.get(end - 1).space()) {
            end--;
        }
        return end;
    }

    private static List<Token> tokenize(String body) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i);
            int start = i;
            if (Character.isWhitespace(c)) {
                while (i < body.length() && Character.isWhitespace(body.charAt(i))) {
                    i++;
                }
                tokens.add(new Token(body.substring(start, i), true));
                continue;
            }
            if (c == '"' || c == '\'') {
                i = endOfString(body, i) + 1;
            } else if (Character.isLetterOrDigit(c) || c == '_') {
                while (i < body.length() && (Character.isLetterOrDigit(body.charAt(i)) || body.charAt(i) == '_')) {
                    i++;
                }
            } else {
                i++;
            }
            tokens.add(new Token(body.substring(start, i), false));
        }
        return tokens;
    }
}
