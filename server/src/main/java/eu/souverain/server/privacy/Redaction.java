package eu.souverain.server.privacy;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/** Texts with their personal data replaced by placeholders, and the way back. */
public final class Redaction {

    private final List<String> texts;
    private final Map<String, String> originals;

    Redaction(List<String> texts, Map<String, String> originals) {
        this.texts = List.copyOf(texts);
        this.originals = Collections.unmodifiableMap(originals);
    }

    /** The redacted text, when one text was redacted. */
    public String text() {
        if (texts.size() != 1) {
            throw new IllegalStateException(texts.size() + " texts were redacted together; see texts()");
        }
        return texts.getFirst();
    }

    /** The redacted texts, in the order given. */
    public List<String> texts() {
        return texts;
    }

    /** Each placeholder and the value it stands for, in order of first appearance. */
    public Map<String, String> placeholders() {
        return originals;
    }

    /** A whole answer with the placeholders in it put back to the values. */
    public String restore(String answer) {
        Restorer restorer = restorer();
        return restorer.push(answer) + restorer.finish();
    }

    /** Puts the values back into an answer that arrives piece by piece. */
    public Restorer restorer() {
        return new Restorer(originals);
    }
}
