package eu.souverain.server.backends;

/**
 * A model a backend serves: the name requests ask for, when it was loaded (epoch seconds), its
 * context length, its embedding length (the width of the vectors it embeds texts into), and
 * whether it chats (a sentence-embedding model only embeds).
 */
public record ModelInfo(String id, long created, int contextLength, int embeddingLength, boolean chats) {

    /** A model that chats and embeds, as every language model does. */
    public ModelInfo(String id, long created, int contextLength, int embeddingLength) {
        this(id, created, contextLength, embeddingLength, true);
    }
}
