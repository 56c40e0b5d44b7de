package eu.souverain.server.catalogue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which products a job takes: all of them, ids and ranges ("12,15-40"), or those whose default
 * category is one id. Each becomes the webservice filters that list them.
 *
 * @param products ids and ranges, or null
 * @param category a category id, or null
 */
public record ProductSelection(String products, Integer category) {

    private static final int MAX_TERMS = 1000;

    public ProductSelection {
        if (products != null && category != null) {
            throw new IllegalArgumentException("give --products or --category, not both");
        }
        if (category != null && category < 1) {
            throw new IllegalArgumentException("a category id is a positive integer, not " + category);
        }
        if (products != null) {
            products = products.replace(" ", "");
            parse(products);
        }
    }

    public static ProductSelection all() {
        return new ProductSelection(null, null);
    }

    /** The webservice filters (query parameters) that list the selected products, one request's worth each. */
    List<Map<String, String>> filters() {
        if (category != null) {
            return List.of(Map.of("filter[id_category_default]", "[" + category + "]"));
        }
        if (products == null) {
            return List.of(Map.of());
        }
        List<Map<String, String>> filters = new ArrayList<>();
        List<Integer> singles = new ArrayList<>();
        for (int[] range : parse(products)) {
            if (range[0] == range[1]) {
                singles.add(range[0]);
            } else {
                filters.add(Map.of("filter[id]", "[" + range[0] + "," + range[1] + "]"));
            }
        }
        for (int from = 0; from < singles.size(); from += PrestaShop.PAGE) {
            filters.add(Map.of("filter[id]", singles.subList(from, Math.min(singles.size(), from + PrestaShop.PAGE))
                    .stream().map(String::valueOf).collect(Collectors.joining("|", "[", "]"))));
        }
        return filters;
    }

    private static List<int[]> parse(String products) {
        String[] terms = products.split(",");
        if (terms.length > MAX_TERMS) {
            throw new IllegalArgumentException("--products holds more than " + MAX_TERMS + " ids and ranges; use ranges");
        }
        List<int[]> ranges = new ArrayList<>();
        for (String term : terms) {
            if (term.isEmpty()) {
                continue;
            }
            String[] ends = term.split("-", -1);
            try {
                int from = Integer.parseInt(ends[0]);
                int to = ends.length == 2 ? Integer.parseInt(ends[1]) : from;
                if (ends.length > 2 || from < 1 || to < from) {
                    throw new NumberFormatException();
                }
                ranges.add(new int[] {from, to});
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--products: '" + term + "' is not a product id or a range FROM-TO"
                        + " of positive ids (e.g. 12,15-40)");
            }
        }
        if (ranges.isEmpty()) {
            throw new IllegalArgumentException("--products names no product (e.g. 12,15-40)");
        }
        return ranges;
    }

    @Override
    public String toString() {
        return category != null ? "category " + category : products != null ? "products " + products : "all products";
    }
}
