package eu.souverain.engine.tokenizer;

import eu.souverain.engine.chat.PromptPart;
import eu.souverain.engine.gguf.Metadata;

import java.util.List;
import java.util.OptionalInt;

/**
 * Text to token ids and back, for the vocabulary a GGUF file carries: SentencePiece-style
 * ({@code tokenizer.ggml.model = "llama"}) or byte-level BPE ({@code "gpt2"}).
 */
public sealed interface Tokenizer permits SentencePieceTokenizer, BytePairTokenizer {

    /** Builds the tokenizer that the file's {@code tokenizer.ggml.*} keys describe. */
    static Tokenizer fromMetadata(Metadata metadata) {
        String model = metadata.getString("tokenizer.ggml.model");
        return switch (model) {
            case "llama" -> SentencePieceTokenizer.fromMetadata(metadata);
            case "gpt2" -> BytePairTokenizer.fromMetadata(metadata);
            case "bert" -> throw new IllegalArgumentException(
                    "tokenizer model 'bert' (WordPiece) is not supported; supported: 'llama' (SentencePiece), 'gpt2' (byte-level BPE)");
            default -> throw new IllegalArgumentException(
                    "unknown tokenizer model '" + model + "'; supported: 'llama' (SentencePiece), 'gpt2' (byte-level BPE)");
        };
    }

    /**
     * Plain text, without BOS or EOS; control-token strings in it are ordinary text. User-defined
     * entries (ordinary pieces the model learned whole) are still matched, as llama.cpp and Hugging
     * Face do.
     */
    int[] encode(String text);

    /** With {@code parseSpecial}, control and user-defined token strings in the text become those tokens (longest match). */
    int[] encode(String text, boolean parseSpecial);

    /** A rendered prompt: trusted parts are encoded with special tokens parsed, untrusted parts as plain text. */
    int[] encode(List<PromptPart> parts);

    /** The text of these tokens; control tokens render as nothing. */
    String decode(int[] tokens);

    /** The bytes this token contributes to output text (empty for control tokens). */
    byte[] tokenBytes(int token);

    TokenDecoder newDecoder();

    /** The vocabulary entry as stored. */
    String tokenText(int token);

    int vocabularySize();

    /** The BOS id, or -1 when the vocabulary has none. */
    int bosToken();

    /** The EOS id, or -1 when the vocabulary has none. */
    int eosToken();

    boolean addBos();

    boolean addEos();

    /** EOS, end-of-turn and end-of-message tokens. */
    boolean isEndOfGeneration(int token);

    boolean isControl(int token);

    /** The id of the vocabulary entry with exactly this text. */
    OptionalInt findToken(String text);
}
