package eu.souverain.engine.model;

/** Why generation ended, in the words of the Mistral/OpenAI APIs. */
public enum FinishReason {
    /** The model ended its answer, or a stop string appeared. */
    STOP,
    /** The token budget ran out. */
    LENGTH,
    /** The context window is full. */
    MODEL_LENGTH
}
