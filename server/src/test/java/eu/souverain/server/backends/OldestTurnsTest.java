package eu.souverain.server.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Which turns a long conversation leaves out, and how many renders it takes to find them. */
class OldestTurnsTest {

    /** A system prompt, {@code turns} user and assistant messages of varied lengths, and the new user message. */
    private static List<Map<String, Object>> conversation(int turns) {
        List<Map<String, Object>> messages = new ArrayList<>();
        messages.add(Map.of("role", "system", "content", "Be brief."));
        for (int i = 0; i < turns; i++) {
            messages.add(Map.of("role", "user", "content", "question " + i + " " + "x".repeat(i % 17)));
            messages.add(Map.of("role", "assistant", "content", "answer " + i + " " + "y".repeat(i % 29)));
        }
        messages.add(Map.of("role", "user", "content", "and now?"));
        return messages;
    }

    /** A stand-in for render and tokenize: the characters of every content, counting its calls. */
    private static Function<List<Map<String, Object>>, Integer> counting(AtomicInteger renders) {
        return messages -> {
            renders.incrementAndGet();
            return messages.stream().mapToInt(m -> ((String) m.get("content")).length()).sum();
        };
    }

    @Test
    void aConversationOf1500TurnsIsCutInAboutLog2OfItsTurnsRenders() {
        List<Map<String, Object>> messages = conversation(1500);
        for (int budget : new int[] {100, 2_000, 20_000, 40_000}) {
            AtomicInteger renders = new AtomicInteger();
            Integer kept = OldestTurns.leftOut(messages, counting(renders), length -> length < budget);
            // What leaving out one turn at a time, oldest first, would have kept.
            Function<List<Map<String, Object>>, Integer> plain = counting(new AtomicInteger());
            Integer expected = null;
            for (int from = 1; from < messages.size(); from += 2) {
                List<Map<String, Object>> rest = new ArrayList<>(messages.subList(0, 1));
                rest.addAll(messages.subList(from, messages.size()));
                if (plain.apply(rest) < budget) {
                    expected = plain.apply(rest);
                    break;
                }
            }
            assertThat(kept).isEqualTo(expected);
            // Doubling then halving, at most 2 * ceil(log2(1500)) = 22, and the latest message alone.
            assertThat(renders.get()).as("renders for a budget of %d", budget).isLessThanOrEqualTo(23);
            // Fewer when little is kept: the work follows what is kept, not the conversation's length.
            if (budget == 100) {
                assertThat(renders.get()).isLessThanOrEqualTo(5);
            }
        }
    }

    @Test
    void aConversationThatFitsWholeIsKeptWhole() {
        List<Map<String, Object>> messages = conversation(40);
        List<Map<String, Object>> noSystem = messages.subList(1, messages.size());
        Integer whole = counting(new AtomicInteger()).apply(messages);
        assertThat(OldestTurns.leftOut(messages, counting(new AtomicInteger()), length -> length <= whole))
                .isEqualTo(whole);
        Integer wholeWithout = counting(new AtomicInteger()).apply(noSystem);
        assertThat(OldestTurns.leftOut(noSystem, counting(new AtomicInteger()), length -> length <= wholeWithout))
                .isEqualTo(wholeWithout);
    }

    @Test
    void theSystemMessagesStayAndTheKeptPartStartsAtAUserMessage() {
        List<Map<String, Object>> messages = conversation(10);
        List<List<Map<String, Object>>> rendered = new ArrayList<>();
        OldestTurns.leftOut(messages, m -> {
            rendered.add(m);
            return m.size();
        }, size -> size <= 6);
        assertThat(rendered).allSatisfy(m -> {
            assertThat(m.getFirst().get("role")).isEqualTo("system");
            assertThat(m.get(1).get("role")).isEqualTo("user");
            assertThat(m.getLast().get("content")).isEqualTo("and now?");
        });
    }

    @Test
    void nothingFitsWhenTheLatestMessageAloneDoesNot() {
        Integer kept = OldestTurns.leftOut(conversation(3), m -> m.size(), size -> size < 2);
        assertThat(kept).isNull();
    }
}
