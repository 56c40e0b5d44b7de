package eu.souverain.server.catalogue;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A multilingual text field of a PrestaShop product that a job may write, with what the shop and
 * search engines accept of it: meta fields are plain text of at most 70 and 160 characters (what
 * search results show), descriptions the limited HTML of the product page, sanitized. The short
 * description keeps to PrestaShop's default limit (PS_PRODUCT_SHORT_DESC_LIMIT, 800 characters).
 */
public enum ShopField {
    DESCRIPTION_SHORT("description_short", true, 800),
    DESCRIPTION("description", true, 6000),
    META_TITLE("meta_title", false, 70),
    META_DESCRIPTION("meta_description", false, 160);

    private final String wireName;
    private final boolean html;
    private final int maxLength;

    ShopField(String wireName, boolean html, int maxLength) {
        this.wireName = wireName;
        this.html = html;
        this.maxLength = maxLength;
    }

    /** The field's name in the webservice's resource. */
    public String wireName() {
        return wireName;
    }

    public boolean html() {
        return html;
    }

    /** Characters the field may hold, markup included. */
    public int maxLength() {
        return maxLength;
    }

    /** What a generated text becomes before it is written: sanitized, within the limit. */
    public String conform(String generated) {
        return html ? ShopText.html(generated, maxLength) : ShopText.plain(generated, maxLength);
    }

    public static ShopField of(String wireName) {
        String name = wireName.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(f -> f.wireName.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown field '" + wireName + "'; the fields are "
                        + Arrays.stream(values()).map(ShopField::wireName).collect(Collectors.joining(", "))));
    }

    /** Fields named in a comma-separated list, each once, in the list's order. */
    public static List<ShopField> list(String names) {
        List<ShopField> fields = Arrays.stream(names.split(",")).filter(s -> !s.isBlank()).map(ShopField::of)
                .distinct().toList();
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("name at least one field: " + Arrays.stream(values())
                    .map(ShopField::wireName).collect(Collectors.joining(", ")));
        }
        return fields;
    }
}
