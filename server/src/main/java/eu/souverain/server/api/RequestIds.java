package eu.souverain.server.api;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** The x-request-id of a response: the client's own when it is a sane token, else a fresh one. */
final class RequestIds {

    static final String HEADER = "x-request-id";

    /** Printable, no spaces or quotes, short: safe to echo in a header and to write to a log. */
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:/+=@-]{1,128}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private RequestIds() {}

    static String of(String fromClient) {
        if (fromClient != null && SANE.matcher(fromClient).matches()) {
            return fromClient;
        }
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return "req_" + HexFormat.of().formatHex(bytes);
    }
}
