package eu.souverain.server.tenancy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Random ids, secrets and one-time passwords, and the hashes under which secrets are kept. */
final class Tokens {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final BigInteger SIXTY_TWO = BigInteger.valueOf(62);

    private Tokens() {}

    /**
     * {@code bytes} random bytes written in base62 with a fixed number of digits: letters and
     * digits only, so a double click selects the whole token, and every value is equally likely.
     */
    static String random(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        BigInteger n = new BigInteger(1, value);
        int digits = (int) Math.ceil(bytes * 8 / (Math.log(62) / Math.log(2)));
        char[] out = new char[digits];
        for (int i = digits - 1; i >= 0; i--) {
            BigInteger[] qr = n.divideAndRemainder(SIXTY_TWO);
            out[i] = BASE62[qr[1].intValue()];
            n = qr[0];
        }
        return new String(out);
    }

    /** An id: a kind prefix and 96 random bits, unguessable enough that ids never need to be secret. */
    static String id(String prefix) {
        return prefix + random(12);
    }

    /** A 256-bit secret: 43 base62 digits. */
    static String secret() {
        return random(32);
    }

    /** A one-time password: 128 random bits, 22 base62 digits. */
    static String password() {
        return random(16);
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every Java platform has SHA-256", impossible);
        }
    }

    /** Compares two hashes in time that does not depend on where they first differ. */
    static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
