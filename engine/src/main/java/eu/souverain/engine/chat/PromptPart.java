package eu.souverain.engine.chat;

/**
 * One piece of a rendered prompt. Trusted text was written by the chat template itself and may
 * contain control-token strings; untrusted text came from a message and is always plain text.
 */
public record PromptPart(String text, boolean trusted) {}
