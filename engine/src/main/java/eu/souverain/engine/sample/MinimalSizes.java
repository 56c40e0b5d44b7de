package eu.souverain.engine.sample;

import eu.souverain.engine.sample.JsonSchema.AnyOf;
import eu.souverain.engine.sample.JsonSchema.ArrayNode;
import eu.souverain.engine.sample.JsonSchema.Literals;
import eu.souverain.engine.sample.JsonSchema.Node;
import eu.souverain.engine.sample.JsonSchema.NumberNode;
import eu.souverain.engine.sample.JsonSchema.ObjectNode;
import eu.souverain.engine.sample.JsonSchema.Ref;
import eu.souverain.engine.sample.JsonSchema.StringNode;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The bytes of each schema part's shortest document, as {@link JsonState} writes it to close a
 * document, computed without writing it: a part that asks for a string of two billion characters
 * costs one multiplication here. Parts may refer to one another in cycles ($ref), so the sizes
 * start infinite and shrink until none changes; a part still infinite then has no finite document.
 */
final class MinimalSizes {

    static final long INFINITE = Long.MAX_VALUE / 4;

    private final Map<Node, Long> sizes = new IdentityHashMap<>();

    private MinimalSizes() {}

    static Map<Node, Long> of(Set<Node> parts) {
        MinimalSizes m = new MinimalSizes();
        for (Node part : parts) {
            m.sizes.put(part, INFINITE);
        }
        // Each round settles at least one more part, so there are at most as many rounds as parts.
        for (boolean changed = true; changed; ) {
            changed = false;
            for (Map.Entry<Node, Long> entry : m.sizes.entrySet()) {
                long size = m.compute(entry.getKey());
                if (size < entry.getValue()) {
                    entry.setValue(size);
                    changed = true;
                }
            }
        }
        return m.sizes;
    }

    /** The size of {@code node} from its children's current sizes. */
    private long compute(Node node) {
        return switch (node) {
            case ObjectNode object -> {
                long size = 2;
                boolean first = true;
                for (int i = 0; i < object.keys().length; i++) {
                    if ((object.required() & 1L << i) != 0) {
                        size = add(size, (first ? 0 : 1) + object.keys()[i].length + 3L);
                        size = add(size, size(object.values()[i]));
                        first = false;
                    }
                }
                yield size;
            }
            case ArrayNode array -> add(2 + Math.max(0, array.minItems() - 1L), times(array.minItems(), size(array.items())));
            case StringNode string -> 2L + string.minLength();
            case NumberNode number -> 1;
            case Literals literals -> {
                long shortest = INFINITE;
                for (byte[] choice : literals.choices()) {
                    shortest = Math.min(shortest, choice.length);
                }
                yield shortest;
            }
            case AnyOf anyOf -> {
                long shortest = INFINITE;
                for (Node alternative : anyOf.alternatives()) {
                    shortest = Math.min(shortest, size(alternative));
                }
                yield shortest;
            }
            case Ref ref -> ref.target == null ? INFINITE : size(ref.target);
        };
    }

    /** A part's current size; the parts every schema shares (any value) are one byte: "0". */
    private long size(Node node) {
        if (node == JsonSchema.ANY_VALUE) {
            return 1;
        }
        Long size = sizes.get(node);
        return size != null ? size : compute(node);
    }

    private static long add(long a, long b) {
        return Math.min(INFINITE, a + b);
    }

    private static long times(long count, long each) {
        return count == 0 || each == 0 ? 0 : each >= INFINITE / count ? INFINITE : count * each;
    }
}
