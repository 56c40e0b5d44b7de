package eu.souverain.server.documents;

import eu.souverain.server.store.MacKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Signed links (Mistral's {@code signed-url} and {@code extracted-text-signed-url}): a path that
 * downloads one document's original or extracted text without an API key, for {@link #LIFETIME}.
 * The path names the library, the document and what is downloaded; the query, the organization,
 * who asked for the link and until when. An HMAC-SHA256 tag under the server's link key (the
 * data directory's {@value #KEY_FILE}, made on first use) covers every one of them, so that a link
 * changed in any part is refused, and so is one past its time.
 */
final class DocumentLinks {

    static final String KEY_FILE = "document-link-key.json";
    static final Duration LIFETIME = Duration.ofMinutes(15);
    /** Outside /v1: a link needs no API key. */
    static final String PATH = "/documents/download/";
    /** Every part of a link is an id: letters, digits, '-' and '_' (so no part can pass for two). */
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_-]{1,100}");
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    /** What a link downloads. */
    enum Kind {
        ORIGINAL, TEXT;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A link's parts, once its tag is checked. */
    record Link(String organizationId, String libraryId, String documentId, Kind kind, String issuedBy,
                long expiresAt) {
    }

    private final Path keyFile;
    private final Clock clock;
    private volatile MacKey key;

    DocumentLinks(Path keyFile, Clock clock) {
        this.keyFile = keyFile;
        this.clock = clock;
    }

    /** Opened when first needed: a report made from the command line makes no key. */
    private MacKey key() {
        MacKey opened = key;
        if (opened == null) {
            synchronized (this) {
                if (key == null) {
                    key = MacKey.open(keyFile, "the document link key");
                }
                opened = key;
            }
        }
        return opened;
    }

    /** The path and query of a new link to {@code kind} of the document, for {@code issuedBy}. */
    String sign(String organizationId, String libraryId, String documentId, Kind kind, String issuedBy) {
        long expiresAt = clock.instant().plus(LIFETIME).getEpochSecond();
        Link link = new Link(organizationId, libraryId, documentId, kind, issuedBy, expiresAt);
        return PATH + libraryId + "/" + documentId + "/" + kind.wireName() + "?org=" + organizationId + "&by="
                + issuedBy + "&expires=" + expiresAt + "&signature=" + ENCODER.encodeToString(key().tag(signed(link)));
    }

    /** The link these parts make, when this server signed it and its time is not past; else {@link LinkRefused}. */
    Link verify(String libraryId, String documentId, String kind, String organizationId, String issuedBy,
                String expires, String signature) {
        String invalid = "this link is not valid: it was changed, or not made by this server; ask for a new one";
        for (String part : new String[] {libraryId, documentId, kind, organizationId, issuedBy, expires, signature}) {
            if (part == null || !PART.matcher(part).matches()) {
                throw new LinkRefused(invalid, null);
            }
        }
        Kind asked;
        long until;
        byte[] tag;
        try {
            asked = Kind.valueOf(kind.toUpperCase(Locale.ROOT));
            until = Long.parseLong(expires);
            tag = Base64.getUrlDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            throw new LinkRefused(invalid, null);
        }
        Link link = new Link(organizationId, libraryId, documentId, asked, issuedBy, until);
        if (!asked.wireName().equals(kind) || !key().verifies(tag, signed(link))) {
            throw new LinkRefused(invalid, null);
        }
        if (clock.instant().getEpochSecond() >= until) {
            throw new LinkRefused("this link expired (links last " + LIFETIME.toMinutes() + " minutes); ask for a new one",
                    link);
        }
        return link;
    }

    private static byte[] signed(Link link) {
        return String.join("\n", "souverain document link v1", link.organizationId(), link.libraryId(),
                link.documentId(), link.kind().wireName(), link.issuedBy(), Long.toString(link.expiresAt()))
                .getBytes(StandardCharsets.UTF_8);
    }
}
