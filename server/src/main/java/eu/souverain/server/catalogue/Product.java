package eu.souverain.server.catalogue;

import java.util.List;
import java.util.Map;

/**
 * What a job reads of a product: its name, category, features and reference to write from, and
 * its texts as they are, by field and language id.
 *
 * @param features "feature: value" lines in each language id
 */
public record Product(int id, String reference, int categoryId, Map<Integer, String> name,
                      Map<Integer, String> category, Map<Integer, List<String>> features,
                      Map<ShopField, Map<Integer, String>> texts) {

    /** The field's text in language {@code languageId}, "" when the shop has none. */
    public String text(ShopField field, int languageId) {
        return texts.getOrDefault(field, Map.of()).getOrDefault(languageId, "");
    }

    /** Whether the field holds text a reader would see (markup and white space alone are empty). */
    public boolean filled(ShopField field, int languageId) {
        return !ShopText.plain(text(field, languageId), Integer.MAX_VALUE).isBlank();
    }
}
