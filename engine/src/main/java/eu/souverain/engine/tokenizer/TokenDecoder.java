package eu.souverain.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Streaming decode: turns tokens into text as they come. A character whose UTF-8 bytes are spread
 * over several tokens (byte-fallback or byte-level pieces) is held back until it is complete, so
 * no broken character is ever emitted. For SentencePiece vocabularies that prefix a space to the
 * input, the space that starts the first text is dropped, as llama.cpp's detokenizer does; to
 * decode a continuation after a prompt with its spaces intact, pass the prompt's tokens through
 * the same decoder first.
 */
public final class TokenDecoder {

    private final IntFunction<byte[]> tokenBytes;
    private boolean dropLeadingSpace;
    private byte[] pending = new byte[16];
    private int pendingLength;

    TokenDecoder(IntFunction<byte[]> tokenBytes, boolean dropLeadingSpace) {
        this.tokenBytes = tokenBytes;
        this.dropLeadingSpace = dropLeadingSpace;
    }

    /** The text that this token completes; empty while a character is still incomplete. */
    public String next(int token) {
        byte[] bytes = tokenBytes.apply(token);
        if (bytes.length == 0) {
            return "";
        }
        int from = 0;
        if (dropLeadingSpace) {
            dropLeadingSpace = false;
            if (bytes[0] == ' ') {
                from = 1;
            }
        }
        append(bytes, from);
        int complete = completeLength();
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** Whatever is still held back, with an incomplete character shown as U+FFFD. */
    public String flush() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    private void append(byte[] bytes, int from) {
        int length = bytes.length - from;
        if (pendingLength + length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(2 * pending.length, pendingLength + length));
        }
        System.arraycopy(bytes, from, pending, pendingLength, length);
        pendingLength += length;
    }

    /** The length of the pending bytes without a trailing UTF-8 sequence that more bytes could still complete. */
    private int completeLength() {
        for (int back = 1; back <= Math.min(3, pendingLength); back++) {
            int b = pending[pendingLength - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue;
            }
            int expected = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 1;
            return expected > back ? pendingLength - back : pendingLength;
        }
        return pendingLength;
    }
}
