package eu.souverain.server.documents;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * French or English, told by their most common words: enough to choose the analyzer (stemming and
 * stop words) a document's chunks are indexed with. Anything else is indexed as English, whose
 * analyzer stems least.
 */
public final class Languages {

    public static final String FRENCH = "fr";
    public static final String ENGLISH = "en";

    private static final Set<String> FRENCH_WORDS = Set.of("le", "la", "les", "des", "du", "de", "et", "est", "une",
            "un", "dans", "pour", "que", "qui", "sur", "pas", "au", "aux", "avec", "ce", "cette", "sont", "il", "elle",
            "nous", "vous", "par", "ou", "leur", "être", "été", "à");
    private static final Set<String> ENGLISH_WORDS = Set.of("the", "of", "and", "to", "in", "is", "that", "for", "it",
            "with", "as", "was", "on", "are", "be", "by", "this", "an", "at", "from", "or", "which", "have", "has",
            "not", "they", "we", "you", "their", "its", "a");
    private static final Pattern WORD = Pattern.compile("\\p{L}+");
    /** Enough words to tell; a document is judged on its first ones. */
    private static final int SAMPLE_WORDS = 5000;

    private Languages() {
    }

    /** {@link #FRENCH} or {@link #ENGLISH}, whichever's common words {@code text} holds more of. */
    public static String detect(CharSequence text) {
        Matcher words = WORD.matcher(text);
        int french = 0;
        int english = 0;
        for (int seen = 0; seen < SAMPLE_WORDS && words.find(); seen++) {
            String word = words.group().toLowerCase(Locale.ROOT);
            if (FRENCH_WORDS.contains(word)) {
                french++;
            }
            if (ENGLISH_WORDS.contains(word)) {
                english++;
            }
        }
        return french > english ? FRENCH : ENGLISH;
    }
}
