package eu.souverain.engine.tokenizer;

/** The kinds of vocabulary entry that GGUF's {@code tokenizer.ggml.token_type} distinguishes. */
enum TokenType {
    NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    /** Maps the GGUF code (1 normal ... 6 byte); 0, "undefined", is what converters write for ordinary entries. */
    static TokenType fromCode(int code) {
        return switch (code) {
            case 0, 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> throw new IllegalArgumentException("unknown token type code " + code + " (expected 1 to 6)");
        };
    }
}
