package eu.souverain.server.backends;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A conversation too long for its model, shortened by leaving out its oldest turns: its leading
 * system messages stay, and the kept part starts at a user message (or is the whole), the latest
 * always kept. Where it starts is found from the end: 1, 2, 4, 8... turns kept until they no
 * longer fit, then by binary search between the last two tries. Each try renders and tokenizes
 * the kept part once, so a conversation costs about 2 log2(turns kept) renders, none much longer
 * than twice what is kept, however long the conversation: leaving out one turn at a time cost one
 * render of the whole per turn (quadratic: 1,500 turns took 51 s).
 */
final class OldestTurns {

    private OldestTurns() {}

    /**
     * The rendering of the longest end of {@code messages} (system messages kept) that {@code fits},
     * or null when not even the last user message with the system messages does. Assumes that
     * leaving out more never makes a rendering longer.
     */
    static <T> T leftOut(List<Map<String, Object>> messages, Function<List<Map<String, Object>>, T> render,
                         Predicate<T> fits) {
        int system = 0;
        while (system < messages.size() && "system".equals(messages.get(system).get("role"))) {
            system++;
        }
        // Where the kept part may start, longest first: the whole, then each later user message.
        List<Integer> starts = new ArrayList<>();
        starts.add(system);
        for (int i = system + 1; i < messages.size(); i++) {
            if ("user".equals(messages.get(i).get("role"))) {
                starts.add(i);
            }
        }
        int last = starts.size() - 1;
        T best = render.apply(kept(messages, system, starts.get(last)));
        if (!fits.test(best)) {
            return null;
        }
        // Invariant: the start at index good fits (best is its rendering); the one at bad does not (-1: none tried).
        int good = last;
        int bad = -1;
        for (int step = 1; good > 0; step *= 2) {
            int next = Math.max(0, last - step);
            T rendered = render.apply(kept(messages, system, starts.get(next)));
            if (!fits.test(rendered)) {
                bad = next;
                break;
            }
            good = next;
            best = rendered;
        }
        while (good - bad > 1) {
            int mid = (bad + good) >>> 1;
            T rendered = render.apply(kept(messages, system, starts.get(mid)));
            if (fits.test(rendered)) {
                good = mid;
                best = rendered;
            } else {
                bad = mid;
            }
        }
        return best;
    }

    private static List<Map<String, Object>> kept(List<Map<String, Object>> messages, int system, int from) {
        List<Map<String, Object>> kept = new ArrayList<>(messages.subList(0, system));
        kept.addAll(messages.subList(from, messages.size()));
        return kept;
    }
}
