package eu.souverain.server.tenancy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Password hashes: Argon2id (RFC 9106) with a random 16-byte salt per hash, written in the PHC
 * string format ({@code $argon2id$v=19$m=...,t=...,p=...$salt$hash}) so that a hash made with
 * older parameters still verifies after they are raised.
 */
public final class Passwords {

    /** OWASP's first recommended Argon2id setting: 19 MiB of memory, 2 passes, 1 lane. */
    static final int MEMORY_KIB = 19_456;
    static final int ITERATIONS = 2;
    static final int PARALLELISM = 1;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    public static final int MIN_LENGTH = 12;
    /** Long enough for any passphrase, short enough that nobody pushes megabytes through Argon2. */
    public static final int MAX_LENGTH = 1024;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder ENCODER = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getDecoder();

    /** Verified against when the account does not exist, so that the answer takes as long as for one that does. */
    private static final class Decoy {
        static final String HASH = hash("decoy password, never valid");
    }

    private Passwords() {}

    /** Refuses a password too short or too long to be set, naming the rule. */
    public static void requireAcceptable(String password) {
        if (password == null || password.length() < MIN_LENGTH) {
            throw TenancyException.invalid("password", "a password needs at least " + MIN_LENGTH + " characters");
        }
        if (password.length() > MAX_LENGTH) {
            throw TenancyException.invalid("password", "a password has at most " + MAX_LENGTH + " characters");
        }
    }

    public static String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] hash = argon2id(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
        return "$argon2id$v=19$m=" + MEMORY_KIB + ",t=" + ITERATIONS + ",p=" + PARALLELISM
                + "$" + ENCODER.encodeToString(salt) + "$" + ENCODER.encodeToString(hash);
    }

    /** Whether {@code password} is the one {@code encoded} was made from; the comparison takes constant time. */
    public static boolean verify(String password, String encoded) {
        String[] parts = encoded.split("\\$");
        // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
        if (parts.length != 6 || !parts[1].equals("argon2id") || !parts[2].equals("v=19")) {
            throw new IllegalArgumentException("not an Argon2id hash in PHC format");
        }
        int memory = 0;
        int iterations = 0;
        int parallelism = 0;
        for (String parameter : parts[3].split(",")) {
            int value = Integer.parseInt(parameter.substring(2));
            switch (parameter.substring(0, 2)) {
                case "m=" -> memory = value;
                case "t=" -> iterations = value;
                case "p=" -> parallelism = value;
                default -> throw new IllegalArgumentException("unknown Argon2 parameter " + parameter);
            }
        }
        byte[] salt = DECODER.decode(parts[4]);
        byte[] expected = DECODER.decode(parts[5]);
        byte[] actual = argon2id(password, salt, memory, iterations, parallelism, expected.length);
        return MessageDigest.isEqual(expected, actual);
    }

    /** Spends the time of one verification, for an account that does not exist. */
    static void verifyDecoy(String password) {
        verify(password, Decoy.HASH);
    }

    private static byte[] argon2id(String password, byte[] salt, int memoryKib, int iterations, int parallelism,
                                   int length) {
        Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(parameters);
        byte[] out = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        return out;
    }
}
