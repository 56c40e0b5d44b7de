package eu.souverain.server.privacy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds personal data in text and replaces each value with a placeholder such as
 * {@code [EMAIL_1]}: the same value (however it is spaced) gets the same placeholder throughout
 * one {@link #redact} call, and the {@link Redaction} maps the placeholders back for the answer.
 * Identifiers with a check digit count only when it is right, so that order numbers, dates and
 * prices stay as they are. Thread-safe.
 */
public final class Redactor {

    /** Spaces inside numbers, French typography's no-break ones included. */
    private static final String SPACE = "[ \\u00A0\\u202F]";
    /** No digit, or digit and separator, right before; none right after. */
    private static final String NUMBER_START = "(?<![\\w+])(?<!\\d[ .\\-\\u00A0\\u202F])";
    private static final String NUMBER_END = "(?![\\w])(?![ .\\-\\u00A0\\u202F]?\\d)";

    private static final Map<PiiKind, Pattern> PATTERNS = new EnumMap<>(Map.of(
            // logo@2x.png names an image for dense screens, not an address.
            PiiKind.EMAIL, Pattern.compile("(?<![\\w.%+\\-])[A-Za-z0-9._%+\\-]+@(?!\\d+x\\.)[A-Za-z0-9](?:[A-Za-z0-9\\-]*[A-Za-z0-9])?"
                    + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9\\-]*[A-Za-z0-9])?)*\\.[A-Za-z]{2,63}(?![\\w\\-])"),
            PiiKind.PHONE, Pattern.compile(NUMBER_START + "(?:"
                    + "(?:\\+|00)33[ .\\-]?(?:\\(0\\)[ .\\-]?)?[1-9](?:[ .\\-]?\\d{2}){4}"
                    + "|0[1-9](?:[ .\\-]?\\d{2}){4}"
                    + "|\\+[1-9](?:[ .\\-]?(?:\\(\\d{1,4}\\)|\\d)){7,16})" + NUMBER_END
                    // +12 500 000 € is an amount.
                    + "(?!" + SPACE + "?(?:[€$£%]|EUR|USD))"),
            PiiKind.IBAN, Pattern.compile("(?<![A-Za-z0-9])[A-Z]{2}\\d{2}"
                    + "(?:[A-Z0-9]{11,30}|(?:" + SPACE + "[A-Z0-9]{4}){2,7}(?:" + SPACE + "[A-Z0-9]{1,4})?)(?![A-Za-z0-9])"),
            PiiKind.CARD, Pattern.compile(NUMBER_START
                    + "[2-6]\\d{3}(?:(?<sep>[ \\-\\u00A0\\u202F])\\d{1,6}(?:\\k<sep>\\d{1,6}){1,4}|\\d{9,15})" + NUMBER_END),
            PiiKind.NIR, Pattern.compile(NUMBER_START + "[1-478]" + SPACE + "?\\d{2}" + SPACE + "?(?:0[1-9]|1[0-2]|[2-9]\\d)"
                    + SPACE + "?(?:\\d{2}|2[AB])" + SPACE + "?\\d{3}" + SPACE + "?\\d{3}" + SPACE + "?\\d{2}" + NUMBER_END),
            PiiKind.SIRET, Pattern.compile(NUMBER_START + "\\d{3}" + SPACE + "?\\d{3}" + SPACE + "?\\d{3}" + SPACE + "?\\d{5}"
                    + NUMBER_END)));

    private final Set<PiiKind> kinds;

    /** Finds only these kinds. */
    public Redactor(Set<PiiKind> kinds) {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("a redactor needs at least one kind of personal data to find");
        }
        this.kinds = EnumSet.copyOf(kinds);
    }

    /** Finds every kind. */
    public static Redactor all() {
        return new Redactor(EnumSet.allOf(PiiKind.class));
    }

    public Redaction redact(String text) {
        return redact(List.of(text));
    }

    /** Redacts the texts of one request (a conversation's messages) with one numbering, so that a value keeps its placeholder across them. */
    public Redaction redact(List<String> texts) {
        Map<String, String> placeholderByValue = new HashMap<>();
        Map<String, String> originals = new LinkedHashMap<>();
        Map<PiiKind, Integer> counts = new EnumMap<>(PiiKind.class);
        List<String> redacted = new ArrayList<>();
        for (String text : texts) {
            StringBuilder out = new StringBuilder(text.length());
            int at = 0;
            for (Finding f : find(text)) {
                String value = text.substring(f.start(), f.end());
                String placeholder = placeholderByValue.computeIfAbsent(f.kind() + ":" + f.key(), key -> {
                    String fresh = fresh(f.kind(), counts, texts);
                    originals.put(fresh, value);
                    return fresh;
                });
                out.append(text, at, f.start()).append(placeholder);
                at = f.end();
            }
            redacted.add(out.append(text, at, text.length()).toString());
        }
        return new Redaction(redacted, originals);
    }

    /** The next placeholder of the kind that none of the texts already contains, which would be restored by mistake. */
    private static String fresh(PiiKind kind, Map<PiiKind, Integer> counts, List<String> texts) {
        while (true) {
            int n = counts.merge(kind, 1, Integer::sum);
            String placeholder = "[" + kind + "_" + n + "]";
            if (texts.stream().noneMatch(text -> text.contains(placeholder))) {
                return placeholder;
            }
        }
    }

    /** A value found: where, and its key (the value without its spacing) by which repeats are told. */
    private record Finding(PiiKind kind, int start, int end, String key) {
        int length() {
            return end - start;
        }
    }

    /** The findings that do not overlap, longest first and, at equal length, the stricter kind, in text order. */
    private List<Finding> find(String text) {
        List<Finding> candidates = new ArrayList<>();
        for (PiiKind kind : kinds) {
            Matcher m = PATTERNS.get(kind).matcher(text);
            for (int from = 0; from < text.length() && m.find(from); ) {
                int end = validEnd(kind, text, m.start(), m.end());
                if (end > 0) {
                    candidates.add(new Finding(kind, m.start(), end, key(kind, text.substring(m.start(), end))));
                    from = end;
                } else {
                    from = m.start() + 1;
                }
            }
        }
        candidates.sort(Comparator.comparingInt(Finding::length).reversed()
                .thenComparing(Finding::kind).thenComparingInt(Finding::start));
        TreeMap<Integer, Finding> chosen = new TreeMap<>();
        for (Finding c : candidates) {
            Map.Entry<Integer, Finding> before = chosen.floorEntry(c.start());
            Map.Entry<Integer, Finding> after = chosen.ceilingEntry(c.start());
            if ((before == null || before.getValue().end() <= c.start()) && (after == null || after.getKey() >= c.end())) {
                chosen.put(c.start(), c);
            }
        }
        return List.copyOf(chosen.values());
    }

    /** Where the value found at [start, end) ends once checked, or -1 when its check fails. */
    private static int validEnd(PiiKind kind, String text, int start, int end) {
        String compact = compact(text.substring(start, end));
        return switch (kind) {
            case EMAIL -> end;
            case PHONE -> text.charAt(start) != '+' || compact.startsWith("33")
                    || compact.length() >= 8 && compact.length() <= 15 ? end : -1;
            case CARD -> compact.length() >= 13 && compact.length() <= 19 && Checksums.luhn(compact) ? end : -1;
            case NIR -> Checksums.nir(compact) ? end : -1;
            case SIRET -> Checksums.siret(compact) ? end : -1;
            case IBAN -> ibanEnd(text, start, end);
        };
    }

    /** A spaced IBAN may run into a following word of four capitals; drop groups from the end until the check holds. */
    private static int ibanEnd(String text, int start, int end) {
        while (true) {
            String compact = compact(text.substring(start, end));
            if (compact.length() < 15) {
                return -1;
            }
            if (Checksums.iban(compact)) {
                return end;
            }
            int space = lastSpace(text, start, end);
            if (space < 0) {
                return -1;
            }
            end = space;
        }
    }

    private static int lastSpace(String text, int start, int end) {
        for (int i = end - 1; i > start; i--) {
            if (Character.isSpaceChar(text.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static String compact(String value) {
        StringBuilder compact = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
                compact.append(c);
            }
        }
        return compact.toString();
    }

    /** The same number however written: a French phone number as +33 and its nine digits. */
    private static String key(PiiKind kind, String value) {
        return switch (kind) {
            case EMAIL -> value.toLowerCase(Locale.ROOT);
            case PHONE -> {
                String digits = value.replace("(0)", "").replaceAll("\\D", "");
                if (value.startsWith("00")) {
                    digits = digits.substring(2);
                } else if (value.startsWith("0")) {
                    digits = "33" + digits.substring(1);
                }
                yield "+" + digits;
            }
            default -> compact(value);
        };
    }
}
