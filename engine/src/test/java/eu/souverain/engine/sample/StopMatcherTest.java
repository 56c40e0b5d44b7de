package eu.souverain.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

    /** Feeds the pieces and returns what was emitted after each one. */
    private static List<String> feedAll(StopMatcher matcher, String... pieces) {
        List<String> emitted = new ArrayList<>();
        for (String piece : pieces) {
            emitted.add(matcher.feed(piece));
        }
        return emitted;
    }

    @Test
    void withoutStopsEverythingPassesThrough() {
        StopMatcher matcher = new StopMatcher(List.of());

        assertThat(feedAll(matcher, "Hello", ", ", "world", "")).containsExactly("Hello", ", ", "world", "");
        assertThat(matcher.flush()).isEmpty();
        assertThat(matcher.stopped()).isFalse();
    }

    @Test
    void textWithoutAnyStopPrefixIsEmittedAtOnce() {
        StopMatcher matcher = new StopMatcher(List.of("</s>"));

        assertThat(feedAll(matcher, "Hello", " world")).containsExactly("Hello", " world");
    }

    @Test
    void aStopSplitAcrossPiecesIsNeverEmitted() {
        StopMatcher matcher = new StopMatcher(List.of("</s>"));

        assertThat(feedAll(matcher, "Hello <", "/", "s", ">more")).containsExactly("Hello ", "", "", "");
        assertThat(matcher.stopped()).isTrue();
        assertThat(matcher.flush()).isEmpty();
    }

    @Test
    void aPrefixThatTurnsOutNotToBeAStopIsReleased() {
        StopMatcher matcher = new StopMatcher(List.of("STOP"));

        assertThat(feedAll(matcher, "ST", "ART", " and STO", "OD")).containsExactly("", "START", " and ", "STOOD");
        assertThat(matcher.stopped()).isFalse();
    }

    @Test
    void aHeldPrefixCanRestartInsideItself() {
        // "abab" ends with "ab", which may still begin "abc"; the first "ab" is safe.
        StopMatcher matcher = new StopMatcher(List.of("abc"));

        assertThat(feedAll(matcher, "ab", "ab", "c")).containsExactly("", "ab", "");
        assertThat(matcher.stopped()).isTrue();
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        StopMatcher matcher = new StopMatcher(List.of("world", "lo w", "\n\n"));

        assertThat(matcher.feed("hello world")).isEqualTo("hel");
        assertThat(matcher.stopped()).isTrue();
    }

    @Test
    void eachOfSeveralStopsIsHeldBackAndMatched() {
        StopMatcher matcher = new StopMatcher(List.of("\nUser:", "###"));

        assertThat(feedAll(matcher, "Sure.\n", "Us", "e", "ful #", "#", "!")).containsExactly("Sure.", "", "", "\nUseful ", "", "##!");
        assertThat(matcher.feed("\nUser: hi")).isEmpty();
        assertThat(matcher.stopped()).isTrue();
    }

    @Test
    void aStopAtTheVeryStartEmitsNothing() {
        StopMatcher matcher = new StopMatcher(List.of("</s>"));

        assertThat(matcher.feed("</s>")).isEmpty();
        assertThat(matcher.stopped()).isTrue();
        assertThat(matcher.flush()).isEmpty();
    }

    @Test
    void textAfterTheStopIsDiscarded() {
        StopMatcher matcher = new StopMatcher(List.of("</s>"));

        assertThat(feedAll(matcher, "a</s>b", "more")).containsExactly("a", "");
        assertThat(matcher.flush()).isEmpty();
    }

    @Test
    void flushReleasesAHeldPrefixWhenGenerationEnds() {
        StopMatcher matcher = new StopMatcher(List.of("</s>"));

        assertThat(matcher.feed("the end </")).isEqualTo("the end ");
        assertThat(matcher.flush()).isEqualTo("</");
        assertThat(matcher.stopped()).isFalse();
        assertThat(matcher.flush()).isEmpty();
    }

    @Test
    void everySplitOfTheTextGivesTheTextBeforeTheStop() {
        String text = "say hello</s>world";
        for (int i = 0; i <= text.length(); i++) {
            for (int j = i; j <= text.length(); j++) {
                StopMatcher matcher = new StopMatcher(List.of("</s>", "hello!"));
                String emitted = String.join("", feedAll(matcher, text.substring(0, i), text.substring(i, j), text.substring(j)));

                assertThat(emitted + matcher.flush()).as("split at %d, %d", i, j).isEqualTo("say hello");
                assertThat(matcher.stopped()).isTrue();
            }
        }
    }

    @Test
    void everySplitOfATextWithoutStopsGivesItBackWhole() {
        String text = "<s>a</b hello</ hel";
        for (int i = 0; i <= text.length(); i++) {
            StopMatcher matcher = new StopMatcher(List.of("</s>", "hello!"));
            String emitted = String.join("", feedAll(matcher, text.substring(0, i), text.substring(i)));

            assertThat(emitted + matcher.flush()).isEqualTo(text);
        }
    }

    @Test
    void unicodeStopsMatchAcrossASplitSurrogatePair() {
        StopMatcher matcher = new StopMatcher(List.of("🛑"));

        assertThat(feedAll(matcher, "déjà vu \uD83D", "\uDED1 après")).containsExactly("déjà vu ", "");
        assertThat(matcher.stopped()).isTrue();
    }

    @Test
    void aUnicodePrefixThatIsNotAStopIsReleasedWhole() {
        StopMatcher matcher = new StopMatcher(List.of("👋🌍", "fin."));

        assertThat(feedAll(matcher, "Grüße 👋", "!", " la fin", " du film.")).containsExactly("Grüße ", "👋!", " la ", "fin du film.");
        assertThat(matcher.stopped()).isFalse();
    }

    @Test
    void emptyOrMissingStopsAreRefused() {
        assertThatThrownBy(() -> new StopMatcher(List.of("ok", ""))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stop sequence 1 is empty");
        assertThatThrownBy(() -> new StopMatcher(Arrays.asList("ok", null))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stop sequence 1 is null");
        assertThatThrownBy(() -> new StopMatcher(null)).isInstanceOf(NullPointerException.class);
    }
}
