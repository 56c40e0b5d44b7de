package eu.souverain.server.tenancy;

/**
 * What a label (a key's or an organization's name, an email address, a conversation's title) may
 * not hold: control characters, line and paragraph separators, and the bidirectional formatting
 * characters (embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069, the marks U+200E,
 * U+200F, U+061C), which reorder or hide what an administrator reads ("invoice&lt;U+202E&gt;fdp.exe"
 * reads as "invoiceexe.pdf"). Text written right to left needs none of them in a label.
 */
public final class Labels {

    private Labels() {}

    private static boolean hidden(int c) {
        return Character.isISOControl(c) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)
                || c == 0x200E || c == 0x200F || c == 0x061C || c == 0x2028 || c == 0x2029;
    }

    /** {@code label}, refused (400, naming {@code param}) when it holds a hidden character. */
    public static String checked(String param, String label) {
        label.codePoints().filter(Labels::hidden).findFirst().ifPresent(c -> {
            throw TenancyException.invalid(param, "the " + param + " must not contain control or bidirectional"
                    + " formatting characters; it holds U+%04X".formatted(c));
        });
        return label;
    }

    /** {@code text} without its hidden characters: for a label made from what someone wrote. */
    public static String withoutHidden(String text) {
        StringBuilder kept = new StringBuilder(text.length());
        text.codePoints().filter(c -> !hidden(c)).forEach(kept::appendCodePoint);
        return kept.toString();
    }
}
