package eu.souverain.engine.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Serializes template values the way Python's {@code json.dumps} does, which is what the
 * {@code tojson} filter of Hugging Face's chat-template environment calls: {@code ", "} and
 * {@code ": "} separators (or {@code ","} before newlines when indented), keys in insertion order
 * unless sorted, floats as Python's repr writes them.
 */
final class PythonJson {

    /** Formatting options of {@code json.dumps}; {@code indent} null means one line. */
    record Options(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        static Options of(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
            String item = itemSeparator != null ? itemSeparator : indent == null ? ", " : ",";
            String key = keySeparator != null ? keySeparator : ": ";
            return new Options(ensureAscii, indent, item, key, sortKeys);
        }
    }

    private final Options options;
    /** When not null, every string written is fenced as untrusted text. */
    private final UntrustedMarks marks;
    private final StringBuilder out = new StringBuilder();

    private PythonJson(Options options, UntrustedMarks marks) {
        this.options = options;
        this.marks = marks;
    }

    static String dumps(Object value, Options options, UntrustedMarks marks) {
        PythonJson json = new PythonJson(options, marks);
        json.write(value, 0);
        return json.out.toString();
    }

    private void write(Object value, int depth) {
        switch (value) {
            case null -> out.append("null");
            case CharSequence s -> writeString(s.toString());
            case Boolean b -> out.append(b ? "true" : "false");
            case Double d -> out.append(floatRepr(d));
            case Float f -> out.append(floatRepr(f.doubleValue()));
            case BigDecimal d -> out.append(floatRepr(d.doubleValue()));
            case Long _, Integer _, Short _, Byte _, BigInteger _ -> out.append(value);
            case Map<?, ?> map -> writeObject(map, depth);
            case Collection<?> items -> writeArray(items, depth);
            case Object[] items -> writeArray(List.of(items), depth);
            case Map.Entry<?, ?> entry -> writeArray(Arrays.asList(entry.getKey(), entry.getValue()), depth);
            default -> throw new ChatTemplateException("tojson: object of type " + value.getClass().getSimpleName() + " is not JSON serializable");
        }
    }

    private void writeObject(Map<?, ?> map, int depth) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Member> members = new ArrayList<>(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) {
            members.add(new Member(keyString(e.getKey()), e.getValue()));
        }
        if (options.sortKeys()) {
            members.sort(Comparator.comparing(Member::key));
        }
        out.append('{');
        boolean first = true;
        for (Member member : members) {
            if (!first) {
                out.append(options.itemSeparator());
            }
            first = false;
            newline(depth + 1);
            writeString(member.key());
            out.append(options.keySeparator());
            write(member.value(), depth + 1);
        }
        newline(depth);
        out.append('}');
    }

    private record Member(String key, Object value) {}

    private void writeArray(Collection<?> items, int depth) {
        if (items.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        boolean first = true;
        for (Object item : items) {
            if (!first) {
                out.append(options.itemSeparator());
            }
            first = false;
            newline(depth + 1);
            write(item, depth + 1);
        }
        newline(depth);
        out.append(']');
    }

    private void newline(int depth) {
        if (options.indent() != null) {
            out.append('\n');
            out.append(options.indent().repeat(depth));
        }
    }

    /** Python turns non-string keys into strings the way it would write them as values. */
    private String keyString(Object key) {
        return switch (key) {
            case null -> "null";
            case CharSequence s -> s.toString();
            case Boolean b -> b ? "true" : "false";
            case Double d -> floatRepr(d);
            case Float f -> floatRepr(f.doubleValue());
            case Number n -> n.toString();
            default -> throw new ChatTemplateException("tojson: keys must be str, int, float, bool or None, not " + key.getClass().getSimpleName());
        };
    }

    private void writeString(String s) {
        out.append('"');
        if (marks == null) {
            escape(s);
        } else {
            String visible = marks.strip(s);
            if (!visible.isEmpty()) {
                out.append(marks.open());
                escape(visible);
                out.append(marks.close());
            }
        }
        out.append('"');
    }

    private void escape(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (c > 0x7e && options.ensureAscii())) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }

    /** Python's float repr: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        // Double.toString yields the shortest round-trip digits, but never fewer than two: for some
        // subnormals one digit would do (5e-324, where Java writes 4.9E-324), and Python uses one.
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        BigDecimal oneDigit = exact.round(new MathContext(1, RoundingMode.HALF_EVEN));
        if (oneDigit.doubleValue() == Math.abs(d)) {
            exact = oneDigit.stripTrailingZeros();
        }
        String digits = exact.unscaledValue().toString();
        int exponent = digits.length() - 1 - exact.scale();
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        if (exponent < 0) {
            return sign + "0." + "0".repeat(-exponent - 1) + digits;
        }
        if (digits.length() <= exponent + 1) {
            return sign + digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
        }
        return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
    }
}
