package eu.souverain.server.store;

import java.security.SecureRandom;

/**
 * Random ids of stored records: a prefix naming the kind (conv_, file-, batch_) and characters from
 * a secure random source, so that an id can be neither guessed nor counted.
 */
public final class RecordIds {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] LOWERCASE = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final char[] MIXED_CASE = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private RecordIds() {}

    /** {@code prefix} and {@code length} digits and lowercase letters: OpenAI's and Mistral's style of id. */
    public static String lowercase(String prefix, int length) {
        return random(prefix, length, LOWERCASE);
    }

    /** {@code prefix} and {@code length} digits and letters of either case. */
    public static String mixedCase(String prefix, int length) {
        return random(prefix, length, MIXED_CASE);
    }

    private static String random(String prefix, int length, char[] alphabet) {
        StringBuilder id = new StringBuilder(prefix);
        for (int i = 0; i < length; i++) {
            id.append(alphabet[RANDOM.nextInt(alphabet.length)]);
        }
        return id.toString();
    }
}
