package eu.souverain.server.catalogue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Function;

/**
 * A PrestaShop webservice key: a secret, sent only as the basic-auth user name of requests to its
 * shop. Its {@link #toString} never shows it, so that no log line, audit entry or error message can.
 */
public final class ShopKey {

    private final String value;

    private ShopKey(String value) {
        this.value = value;
    }

    public static ShopKey of(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the shop's webservice key is empty");
        }
        if (value.chars().anyMatch(c -> c <= ' ' || c == ':' || c > '~')) {
            throw new IllegalArgumentException("the shop's webservice key holds a character a key cannot have"
                    + " (PrestaShop keys are 32 letters and digits)");
        }
        return new ShopKey(value);
    }

    /**
     * The key named by {@code reference}: {@code env:VAR}, from the environment, so that it never
     * shows in the process list or the shell's history.
     */
    public static ShopKey fromReference(String reference, Function<String, String> environment) {
        if (reference == null || !reference.startsWith("env:") || reference.length() == 4) {
            throw new IllegalArgumentException("--key must be env:VARIABLE, the environment variable that holds the"
                    + " webservice key (never the key itself, which the process list would show)");
        }
        String variable = reference.substring(4);
        String value = environment.apply(variable);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the environment variable " + variable + " named by --key is not set");
        }
        return of(value.strip());
    }

    /** The Authorization header: the key as user name, no password, as the webservice asks. */
    String authorization() {
        return "Basic " + Base64.getEncoder().encodeToString((value + ":").getBytes(StandardCharsets.US_ASCII));
    }

    /** The key's bytes, to be encrypted at rest. */
    public byte[] secretBytes() {
        return value.getBytes(StandardCharsets.US_ASCII);
    }

    public static ShopKey fromSecretBytes(byte[] bytes) {
        return of(new String(bytes, StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return "ShopKey[hidden]";
    }
}
