package eu.souverain.engine.chat;

import java.util.Map;

/**
 * Python's str() and repr() of template values, which jinja2 uses to print an expression and in
 * the {@code string} filter: {@code True}, {@code ['a', 'b']}, {@code {'k': 1.0}}. A null prints
 * as nothing, because Jinjava cannot tell None from an undefined value, which jinja2 prints as "".
 */
final class PythonStr {

    private PythonStr() {}

    static String str(Object value) {
        return switch (value) {
            case null -> "";
            case CharSequence s -> s.toString();
            default -> repr(value);
        };
    }

    static String repr(Object value) {
        StringBuilder out = new StringBuilder();
        appendRepr(value, out);
        return out.toString();
    }

    private static void appendRepr(Object value, StringBuilder out) {
        switch (value) {
            case null -> out.append("None");
            case CharSequence s -> appendQuoted(s.toString(), out);
            case Boolean b -> out.append(b ? "True" : "False");
            case Double d -> out.append(pythonFloat(d));
            case Float f -> out.append(pythonFloat(f.doubleValue()));
            case Map<?, ?> map -> {
                out.append('{');
                String separator = "";
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.append(separator);
                    appendRepr(e.getKey(), out);
                    out.append(": ");
                    appendRepr(e.getValue(), out);
                    separator = ", ";
                }
                out.append('}');
            }
            case Iterable<?> items -> {
                out.append('[');
                String separator = "";
                for (Object item : items) {
                    out.append(separator);
                    appendRepr(item, out);
                    separator = ", ";
                }
                out.append(']');
            }
            case Map.Entry<?, ?> entry -> {
                out.append('(');
                appendRepr(entry.getKey(), out);
                out.append(", ");
                appendRepr(entry.getValue(), out);
                out.append(')');
            }
            default -> out.append(value);
        }
    }

    /** Python's float repr, with its own spellings of the special values. */
    private static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        return PythonJson.floatRepr(d);
    }

    /** Single quotes unless the text holds one and no double quote, as Python's repr chooses. */
    private static void appendQuoted(String s, StringBuilder out) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        out.append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == quote || c == '\\') {
                out.append('\\').append(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append(quote);
    }
}
