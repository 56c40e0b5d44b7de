package eu.souverain.tools;

import java.util.SplittableRandom;

/**
 * The prompts of a load test, in words that are one token each in the Llama and Mistral
 * SentencePiece vocabularies (checked against the bundled 32,000-token vocabulary), so that a
 * count of words is a count of tokens there; other tokenizers may split some words. The first
 * {@code sharedWords} words are the same in every prompt, as a shared system prompt or document
 * would be; the rest differ from one request to the next from the first word on.
 */
public final class LoadPrompts {

    static final String[] WORDS = (
            "time year people way day man thing woman life child world school state family student group country"
            + " problem hand part place case week company system program question work government number night"
            + " point home water room mother area money story fact month lot right study book eye job word business"
            + " issue side kind head house service friend father power hour game line end member law car city"
            + " community name president team minute idea kid body information back parent face others level office"
            + " door health person art war history party result change morning reason research girl moment air"
            + " teacher force education foot boy age policy music market sense nation plan college interest death"
            + " experience effect class control care field development role effort rate heart drug show leader"
            + " light voice wife police mind price report decision son view relationship town road arm difference"
            + " value building action model season society tax director position player record paper space ground"
            + " form event official matter center couple site project activity star table need court oil situation"
            + " cost industry figure street image phone data picture practice piece land product doctor wall"
            + " patient worker news test movie north love support technology step baby computer type attention film"
            + " tree source organization hair window evidence population truth song river garden island bridge"
            + " summer winter letter train ship glass stone bread apple horse bird chair green blue red small large"
            + " old new good great long little high young early late open short clear full free strong real simple")
            .split(" ");

    private final String shared;
    private final int uniqueWords;

    LoadPrompts(int words, int sharedWords) {
        if (sharedWords > words) {
            throw new IllegalArgumentException("the shared prefix (" + sharedWords + " words) is longer than the prompt ("
                    + words + " words)");
        }
        this.shared = words(new SplittableRandom(0), sharedWords);
        this.uniqueWords = words - sharedWords;
    }

    /** Request {@code index}'s prompt: the shared words, then its own. */
    String prompt(int index) {
        if (uniqueWords == 0) {
            return shared;
        }
        // The first own word follows the index, so that neighbouring requests differ right after the shared prefix.
        String own = WORDS[index % WORDS.length];
        if (uniqueWords > 1) {
            own += " " + words(new SplittableRandom(index + 1L), uniqueWords - 1);
        }
        return shared.isEmpty() ? own : shared + " " + own;
    }

    private static String words(SplittableRandom random, int count) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                text.append(' ');
            }
            text.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return text.toString();
    }
}
