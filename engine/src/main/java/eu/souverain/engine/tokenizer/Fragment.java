package eu.souverain.engine.tokenizer;

/** A stretch of input after special tokens were split out: either raw text or one special token. */
sealed interface Fragment {

    record Text(String text) implements Fragment {}

    record Special(int token) implements Fragment {}
}
