package eu.souverain.engine.chat;

/**
 * One piece of a rendered prompt. {@code trusted} text was written by the template itself and may
 * hold control-token strings such as {@code [INST]} or {@code <|eot_id|>}, which the tokenizer maps
 * to control tokens; untrusted text came from the conversation (message contents, tool JSON,
 * names...) and the tokenizer treats it as plain text, so a user who types {@code [INST]} never
 * produces the control token.
 */
public record PromptPart(String text, boolean trusted) {
    public PromptPart {
        if (text == null) {
            throw new IllegalArgumentException("prompt part text must not be null");
        }
    }
}
