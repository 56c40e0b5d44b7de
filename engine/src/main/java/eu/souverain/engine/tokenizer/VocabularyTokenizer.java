package eu.souverain.engine.tokenizer;

import eu.souverain.engine.chat.PromptPart;

import java.util.List;
import java.util.OptionalInt;

/** What both tokenizer kinds do the same way, given how each turns fragments into ids and ids into bytes. */
abstract class VocabularyTokenizer {

    final Vocabulary vocabulary;

    VocabularyTokenizer(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
    }

    abstract int[] encodeFragments(List<Fragment> fragments);

    public abstract byte[] tokenBytes(int token);

    /** Whether decoding drops the space SentencePiece put before the first word. */
    abstract boolean dropsLeadingSpace();

    public int[] encode(String text) {
        return encode(text, false);
    }

    public int[] encode(String text, boolean parseSpecial) {
        return encodeFragments(vocabulary.split(text, parseSpecial));
    }

    public int[] encode(List<PromptPart> parts) {
        return encodeFragments(vocabulary.split(parts));
    }

    public String decode(int[] tokens) {
        TokenDecoder decoder = newDecoder();
        StringBuilder text = new StringBuilder();
        for (int token : tokens) {
            text.append(decoder.next(token));
        }
        return text.append(decoder.flush()).toString();
    }

    public TokenDecoder newDecoder() {
        return new TokenDecoder(this::tokenBytes, dropsLeadingSpace());
    }

    public String tokenText(int token) {
        return vocabulary.text(token);
    }

    public int vocabularySize() {
        return vocabulary.size();
    }

    public int bosToken() {
        return vocabulary.bos;
    }

    public int eosToken() {
        return vocabulary.eos;
    }

    public boolean addBos() {
        return vocabulary.addBos;
    }

    public boolean addEos() {
        return vocabulary.addEos;
    }

    public boolean isEndOfGeneration(int token) {
        return vocabulary.isEndOfGeneration(token);
    }

    public boolean isControl(int token) {
        return vocabulary.type(token) == TokenType.CONTROL;
    }

    public OptionalInt findToken(String text) {
        return vocabulary.find(text);
    }
}
