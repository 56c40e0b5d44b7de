package eu.souverain.server.api;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A multipart/form-data body (RFC 7578), read whole from bytes already held to the body limit: its
 * parts by field name, each with its file name (null for a plain field) and content.
 */
final class Multipart {

    private static final Pattern BOUNDARY = Pattern.compile("boundary=(?:\"([^\"]+)\"|([^;\\s]+))",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern NAME = Pattern.compile("[;\\s]name=\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);
    private static final Pattern FILENAME = Pattern.compile("filename=\"([^\"]*)\"", Pattern.CASE_INSENSITIVE);
    private static final int MAX_PARTS = 16;

    record Part(String filename, byte[] content) {}

    private final Map<String, Part> parts;

    private Multipart(Map<String, Part> parts) {
        this.parts = parts;
    }

    Part get(String name) {
        return parts.get(name);
    }

    static Multipart parse(String contentType, byte[] body) {
        Matcher m = BOUNDARY.matcher(contentType);
        if (!m.find()) {
            throw invalid("the Content-Type names no boundary");
        }
        byte[] delimiter = ("--" + (m.group(1) != null ? m.group(1) : m.group(2))).getBytes(StandardCharsets.ISO_8859_1);
        Map<String, Part> parts = new LinkedHashMap<>();
        int at = indexOf(body, delimiter, 0);
        if (at < 0) {
            throw invalid("the body holds no part");
        }
        while (true) {
            int start = at + delimiter.length;
            if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
                break;
            }
            int headersStart = start + 2;
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
            if (headersEnd < 0) {
                throw invalid("a part's headers do not end");
            }
            int next = indexOf(body, ("\r\n" + new String(delimiter, StandardCharsets.ISO_8859_1))
                    .getBytes(StandardCharsets.ISO_8859_1), headersEnd + 4);
            if (next < 0) {
                throw invalid("the last part is not closed by its boundary");
            }
            String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.UTF_8);
            Matcher name = NAME.matcher(";" + headers);
            if (name.find()) {
                Matcher filename = FILENAME.matcher(headers);
                if (parts.size() == MAX_PARTS) {
                    throw invalid("a form has at most " + MAX_PARTS + " parts");
                }
                parts.putIfAbsent(name.group(1), new Part(filename.find() ? filename.group(1) : null,
                        Arrays.copyOfRange(body, headersEnd + 4, next)));
            }
            at = next + 2;
        }
        return new Multipart(parts);
    }

    private static ApiError invalid(String why) {
        return ApiError.invalid("file", "the multipart/form-data body cannot be read: " + why);
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = Math.max(0, from); i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
