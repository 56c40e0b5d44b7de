package eu.souverain.server.backends;

/**
 * How busy a model is right now: sequences waiting for it and sequences it is generating, and
 * for a model this process runs, its key/value cache's blocks (held by sequences, held only by
 * the prefix cache, empty) and the prompt tokens the prefix cache has saved so far.
 */
public record ModelLoad(int waiting, int running, int kvBlocksUsed, int kvBlocksCached, int kvBlocksFree,
                        long cachedPromptTokens) {

    /** The load of a backend whose key/value cache is not ours to see (a remote one). */
    public ModelLoad(int waiting, int running) {
        this(waiting, running, 0, 0, 0, 0);
    }
}
