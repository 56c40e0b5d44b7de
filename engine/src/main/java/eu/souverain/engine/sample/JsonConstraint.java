package eu.souverain.engine.sample;

import eu.souverain.engine.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * Keeps one sequence's output a JSON document of a schema: before each token is sampled, every
 * token whose text would make the output so far no longer the start of such a document gets a
 * logit of -infinity; once the document is whole, only end-of-generation tokens remain.
 *
 * <p>With a token budget (the most tokens the sequence may generate), the output also ends in
 * time: once the shortest way to close the document, written with the longest tokens that fit
 * it, and an end token would take all but {@value #MARGIN} of the tokens left, the output
 * follows that way token by token.
 *
 * <p>A step walks the vocabulary's {@link TokenTable} against the automaton, so its cost is the
 * number of distinct token prefixes the document allows, not the vocabulary's total bytes.
 * One instance per sequence; not thread-safe.
 */
public final class JsonConstraint {

    /** Tokens left to the model's choice beyond those that closing needs: what one token may add to closing. */
    static final int MARGIN = 16;

    private final JsonSchema schema;
    private final TokenTable table;
    private final int budget;
    /** The automaton's state after each byte of the token being walked; [0] is the current state. */
    private final JsonState[] path;
    private final long[] allowed;
    private JsonState state;
    private int accepted;

    /**
     * {@code tokenBudget}: the most tokens the sequence may generate, end token included
     * ({@link Integer#MAX_VALUE}: no limit).
     */
    public JsonConstraint(JsonSchema schema, Tokenizer tokenizer, int tokenBudget) {
        if (tokenBudget < 1) {
            throw new IllegalArgumentException("tokenBudget must be at least 1, got " + tokenBudget);
        }
        this.schema = schema;
        this.table = TokenTable.of(tokenizer);
        this.budget = tokenBudget;
        this.path = new JsonState[table.longest + 1];
        this.allowed = new long[(table.size() + 63) / 64];
        this.state = JsonState.start(schema);
    }

    /**
     * Throws IllegalArgumentException, naming the part of the schema, when a part's shortest
     * document could not fit in {@code tokenBudget} tokens of this vocabulary (each at most its
     * longest token's bytes): such an answer could never be whole.
     */
    public static void requireFits(JsonSchema schema, Tokenizer tokenizer, int tokenBudget) {
        schema.requireFits((long) tokenBudget * Math.max(1, TokenTable.of(tokenizer).longest));
    }

    int vocabularySize() {
        return table.size();
    }

    /** Whether the tokens accepted so far make a whole document. */
    public boolean isComplete() {
        return state.isComplete();
    }

    /** Starts over, for a new output. */
    public void reset() {
        state = JsonState.start(schema);
        accepted = 0;
    }

    /** Sets the logit of every token that may not come next to -infinity. */
    public void mask(float[] logits) {
        if (logits.length != table.size()) {
            throw new IllegalArgumentException("expected " + table.size() + " logits, got " + logits.length);
        }
        Arrays.fill(allowed, 0);
        boolean complete = state.isComplete();
        boolean any = false;
        byte[] closing = budget == Integer.MAX_VALUE ? null : state.completion();
        int[] closingTokens = closing == null ? null : table.longestTokens(closing);
        if (closingTokens != null && closingTokens.length + 1 + MARGIN >= budget - accepted) {
            // Close the document the shortest way; the end token once it is whole.
            if (closingTokens.length > 0) {
                allow(closingTokens[0]);
                any = true;
            }
        } else if (state.inFreeString()) {
            System.arraycopy(table.plainText, 0, allowed, 0, allowed.length);
            any = walk(table.special, table.specialShared) || table.sorted.length > table.special.length;
        } else {
            any = walk(table.sorted, table.shared);
        }
        if (complete) {
            for (int token : table.endTokens) {
                allow(token);
                any = true;
            }
        }
        if (!any) {
            throw new IllegalStateException("no token of the vocabulary can continue the JSON document");
        }
        for (int token = 0; token < logits.length; token++) {
            if ((allowed[token >>> 6] & 1L << token) == 0) {
                logits[token] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Advances past a generated token; throws if the mask would not have allowed it. */
    public void accept(int token) {
        if (token < 0 || token >= table.size()) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary [0, " + table.size()
                    + ")");
        }
        byte[] bytes = table.bytes[token];
        JsonState next = bytes.length == 0 ? null : state.advance(bytes);
        if (next == null) {
            boolean end = Arrays.stream(table.endTokens).anyMatch(t -> t == token);
            if (!(end && state.isComplete())) {
                throw new IllegalArgumentException("token " + token + " cannot continue the JSON document here");
            }
            next = state;
        }
        state = next;
        accepted++;
    }

    /**
     * Marks each of the tokens {@code sorted} (in byte order, {@code shared} their common starts)
     * whose bytes the automaton accepts from the current state; returns whether any.
     */
    private boolean walk(int[] sorted, int[] shared) {
        byte[][] bytes = table.bytes;
        path[0] = state;
        int valid = 0;
        boolean any = false;
        int k = 0;
        while (k < sorted.length) {
            int token = sorted[k];
            byte[] text = bytes[token];
            int depth = Math.min(valid, shared[k]);
            boolean rejected = false;
            while (depth < text.length) {
                JsonState next = path[depth].advance(text[depth] & 0xFF);
                if (next == null) {
                    rejected = true;
                    break;
                }
                path[++depth] = next;
            }
            valid = depth;
            k++;
            if (rejected) {
                // Every following token that starts with the rejected depth + 1 bytes is rejected too.
                while (k < sorted.length && shared[k] > depth) {
                    k++;
                }
            } else {
                allow(token);
                any = true;
            }
        }
        return any;
    }

    private void allow(int token) {
        allowed[token >>> 6] |= 1L << token;
    }
}
