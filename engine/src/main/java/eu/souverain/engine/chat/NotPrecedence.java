package eu.souverain.engine.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * In jinja2, {@code not} binds looser than comparisons and tests: {@code not tools is defined}
 * means {@code not (tools is defined)}. Jinjava applies {@code not} to {@code tools} alone. This
 * rewrites every prefix {@code not} in the template's tags and expressions to parenthesize its
 * operand as jinja2's grammar delimits it: up to the next {@code and}, {@code or}, {@code if},
 * {@code else}, comma, colon or closing bracket at the same nesting level.
 */
final class NotPrecedence {

    private static final Pattern END_RAW = Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%}");
    private static final Pattern START_RAW = Pattern.compile("[-+]?\\s*raw\\s*[-+]?");
    /** Tokens after which {@code not} starts an operand rather than continuing {@code is not}. */
    private static final Set<String> BEFORE_PREFIX_NOT = Set.of("and", "or", "not", "if", "elif", "else", "(", "[", "{", ",", ":", "=");
    private static final Set<String> OPERAND_END = Set.of("and", "or", "if", "else", ",", ":");

    private NotPrecedence() {}

    static String parenthesize(String source) {
        StringBuilder out = new StringBuilder(source.length() + 16);
        int i = 0;
        while (i < source.length()) {
            int open = nextOpening(source, i);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            out.append(source, i, open + 2);
            char kind = source.charAt(open + 1);
            if (kind == '#') {
                int end = source.indexOf("#}", open + 2);
                end = end < 0 ? source.length() : end;
                out.append(source, open + 2, end);
                i = end;
                continue;
            }
            int close = closing(source, open + 2, kind == '{' ? '}' : '%');
            if (close < 0) {
                out.append(source, open + 2, source.length());
                break;
            }
            String body = source.substring(open + 2, close);
            out.append(rewrite(body));
            i = close;
            if (kind == '%' && START_RAW.matcher(body).matches()) {
                Matcher endRaw = END_RAW.matcher(source);
                int rawEnd = endRaw.find(close) ? endRaw.start() : source.length();
                out.append(source, close, rawEnd);
                i = rawEnd;
            }
        }
        return out.toString();
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

    /** Rewrites the inside of one tag or expression, leaving its whitespace-control markers in place. */
    private static String rewrite(String body) {
        int start = !body.isEmpty() && (body.charAt(0) == '-' || body.charAt(0) == '+') ? 1 : 0;
        int end = body.length() > start && (body.endsWith("-") || body.endsWith("+")) ? body.length() - 1 : body.length();
        List<Token> tokens = tokenize(body.substring(start, end));
        StringBuilder out = new StringBuilder(body.length() + 8).append(body, 0, start);
        rewrite(tokens, 0, tokens.size(), out);
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
