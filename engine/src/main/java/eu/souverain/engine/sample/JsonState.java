package eu.souverain.engine.sample;

import eu.souverain.engine.sample.JsonSchema.AnyOf;
import eu.souverain.engine.sample.JsonSchema.ArrayNode;
import eu.souverain.engine.sample.JsonSchema.Literals;
import eu.souverain.engine.sample.JsonSchema.Node;
import eu.souverain.engine.sample.JsonSchema.NumberNode;
import eu.souverain.engine.sample.JsonSchema.ObjectNode;
import eu.souverain.engine.sample.JsonSchema.Ref;
import eu.souverain.engine.sample.JsonSchema.StringNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How far a JSON document written byte by byte has come against a {@link JsonSchema}: an
 * immutable pushdown automaton, so that a state can be kept at every depth of a walk over token
 * texts and shared by all the texts that start alike. Where the schema leaves a choice open
 * (anyOf, a key that may still become several property names, a number that may go on or end),
 * the state holds every way of reading the bytes so far.
 *
 * <p>The documents it accepts are compact up to bounded whitespace: at most
 * {@value #MAX_WHITESPACE} whitespace bytes between two tokens of JSON, none before or after the
 * document, so that a model cannot spend its budget on spaces. Numbers are bounded likewise; strings
 * must be valid UTF-8 without raw control characters.
 */
final class JsonState {

    static final int MAX_WHITESPACE = 4;
    /** Ways of reading the bytes so far, at most: past it, a schema's ambiguity would make each byte cost without bound. */
    static final int MAX_READINGS = 4096;
    private static final int MAX_INTEGER_DIGITS = 16;
    private static final int MAX_FRACTION_DIGITS = 16;
    private static final int MAX_EXPONENT_DIGITS = 3;

    /** A persistent stack; {@code top} writes the innermost value, the frames below wait for it. */
    record Stack(Frame top, Stack rest) {}

    private final Stack[] alternatives;

    private JsonState(Stack[] alternatives) {
        this.alternatives = alternatives;
    }

    static JsonState start(JsonSchema schema) {
        return new JsonState(new Stack[] {new Stack(new Document(schema.root(), false), null)});
    }

    /** The state after one more byte (0-255), or null when no document of the schema continues so. */
    JsonState advance(int b) {
        List<Stack> next = new ArrayList<>(2);
        for (Stack stack : alternatives) {
            stack.top.feed(b, stack.rest, next);
        }
        if (next.size() > MAX_READINGS) {
            throw new IllegalStateException("the schema is too ambiguous here: the answer so far reads " + next.size()
                    + " ways (anyOf in anyOf); at most " + MAX_READINGS);
        }
        return next.isEmpty() ? null : new JsonState(next.toArray(new Stack[0]));
    }

    /**
     * Whether the bytes so far are inside a string of unbounded length, between two characters:
     * there, any {@link #isPlainText} bytes are accepted and lead to the same kind of state.
     */
    boolean inFreeString() {
        return alternatives.length == 1 && alternatives[0].top instanceof StringFrame string
                && string.mode() == 0 && string.node().maxLength() == Integer.MAX_VALUE;
    }

    /** Whether these bytes are whole characters of a string's body, with no quote, backslash or control character. */
    static boolean isPlainText(byte[] bytes) {
        int mode = 0;
        for (byte b : bytes) {
            if (b == '\\') {
                return false;
            }
            mode = StringFrame.scan(mode, b & 0xFF);
            if (mode < 0) {
                return false;
            }
        }
        return mode == 0;
    }

    /** The state after these bytes, or null. */
    JsonState advance(byte[] bytes) {
        JsonState state = this;
        for (int i = 0; i < bytes.length && state != null; i++) {
            state = state.advance(bytes[i] & 0xFF);
        }
        return state;
    }

    /** Whether the bytes so far are a whole document of the schema. */
    boolean isComplete() {
        for (Stack stack : alternatives) {
            if (ends(stack)) {
                return true;
            }
        }
        return false;
    }

    /** The fewest bytes (as this automaton counts them) that make the bytes so far a whole document. */
    byte[] completion() {
        byte[] shortest = null;
        for (Stack stack : alternatives) {
            byte[] bytes = completion(stack);
            if (shortest == null || bytes.length < shortest.length) {
                shortest = bytes;
            }
        }
        return shortest;
    }

    private static boolean ends(Stack stack) {
        Frame top = stack.top;
        if (top instanceof Document document) {
            return document.done;
        }
        return (top instanceof NumberFrame || top instanceof LiteralFrame) && top.canEnd() && ends(pop(stack.rest));
    }

    private static byte[] completion(Stack stack) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        stack.top.finish(stack.rest, out);
        // A key's finish writes its object's end too, so the object below it is done with.
        Stack below = stack.top instanceof KeyFrame ? stack.rest.rest : stack.rest;
        for (; below != null; below = below.rest) {
            below.top.resume().finish(below.rest, out);
        }
        return out.toByteArray();
    }

    /** The stack once the frame above {@code rest} has written its whole value. */
    private static Stack pop(Stack rest) {
        return new Stack(rest.top.resume(), rest.rest);
    }

    private static boolean isWhitespace(int b) {
        return b == ' ' || b == '\n' || b == '\t' || b == '\r';
    }

    private static boolean isDigit(int b) {
        return b >= '0' && b <= '9';
    }

    /** Starts a value of {@code node} with its first byte; {@code parent} holds the frame that waits for it. */
    private static void startValue(Node node, int b, Stack parent, List<Stack> out) {
        switch (node) {
            case ObjectNode object -> {
                if (b == '{') {
                    out.add(new Stack(new ObjectFrame(object, 0, ObjectFrame.OPEN, 0, -1), parent));
                }
            }
            case ArrayNode array -> {
                if (b == '[') {
                    out.add(new Stack(new ArrayFrame(array, 0, ArrayFrame.OPEN, 0), parent));
                }
            }
            case StringNode string -> {
                if (b == '"') {
                    out.add(new Stack(new StringFrame(string, 0, 0), parent));
                }
            }
            case NumberNode number -> {
                if (b == '-') {
                    out.add(new Stack(new NumberFrame(number.integer(), NumberFrame.SIGN, 0), parent));
                } else if (b == '0') {
                    out.add(new Stack(new NumberFrame(number.integer(), NumberFrame.ZERO, 1), parent));
                } else if (isDigit(b)) {
                    out.add(new Stack(new NumberFrame(number.integer(), NumberFrame.INTEGER, 1), parent));
                }
            }
            case Literals literals -> {
                byte[][] matching = LiteralFrame.matching(literals.choices(), 0, b);
                if (matching.length > 0) {
                    out.add(new Stack(new LiteralFrame(matching, 1), parent));
                }
            }
            case AnyOf anyOf -> {
                for (Node alternative : anyOf.alternatives()) {
                    startValue(alternative, b, parent, out);
                }
            }
            case Ref ref -> startValue(ref.target, b, parent, out);
        }
    }

    /** The shortest document of {@code node}, as {@link #completion} counts. */
    private static void minimal(Node node, ByteArrayOutputStream out, int depth) {
        if (depth > 64) {
            throw new IllegalArgumentException("the schema nests required values without end: no document is finite");
        }
        switch (node) {
            case ObjectNode object -> {
                out.write('{');
                ObjectFrame.writeRequired(object, object.required(), true, out, depth);
                out.write('}');
            }
            case ArrayNode array -> {
                out.write('[');
                for (int i = 0; i < array.minItems(); i++) {
                    if (i > 0) {
                        out.write(',');
                    }
                    minimal(array.items(), out, depth + 1);
                }
                out.write(']');
            }
            case StringNode string -> {
                out.write('"');
                for (int i = 0; i < string.minLength(); i++) {
                    out.write('a');
                }
                out.write('"');
            }
            case NumberNode number -> out.write('0');
            case Literals literals -> out.writeBytes(LiteralFrame.shortest(literals.choices(), 0));
            case AnyOf anyOf -> {
                byte[] shortest = null;
                for (Node alternative : anyOf.alternatives()) {
                    ByteArrayOutputStream candidate = new ByteArrayOutputStream();
                    minimal(alternative, candidate, depth + 1);
                    if (shortest == null || candidate.size() < shortest.length) {
                        shortest = candidate.toByteArray();
                    }
                }
                out.writeBytes(shortest);
            }
            case Ref ref -> minimal(ref.target, out, depth + 1);
        }
    }

    /**
     * What a stack entry does with the next byte. {@code rest} is the stack below it; each way of
     * reading the byte adds the resulting stack to {@code out}, none when the byte cannot follow.
     */
    private sealed interface Frame permits Document, ObjectFrame, KeyFrame, ArrayFrame, StringFrame, NumberFrame,
            LiteralFrame {

        void feed(int b, Stack rest, List<Stack> out);

        /** This frame once the value it waits for is whole. */
        default Frame resume() {
            throw new IllegalStateException(getClass().getSimpleName() + " waits for no value");
        }

        /** Whether the value could be whole already (only numbers and literals know it one byte late). */
        default boolean canEnd() {
            return false;
        }

        /** Writes the fewest bytes that make this frame's value whole, this frame being on top. */
        void finish(Stack rest, ByteArrayOutputStream out);
    }

    /** The bottom of the stack: before the document, or after it, when nothing may follow. */
    private record Document(Node root, boolean done) implements Frame {
        @Override
        public void feed(int b, Stack rest, List<Stack> out) {
            if (!done) {
                startValue(root, b, new Stack(new Document(root, true), rest), out);
            }
        }

        @Override
        public Frame resume() {
            return this;
        }

        @Override
        public void finish(Stack rest, ByteArrayOutputStream out) {
            if (!done) {
                minimal(root, out, 0);
            }
        }
    }

    /**
     * An object after its '{'; {@code used} marks the declared properties written, {@code pending}
     * the one being written (-1: one it does not declare).
     */
    private record ObjectFrame(ObjectNode node, long used, int phase, int whitespace, int pending) implements Frame {
        static final int OPEN = 0;
        static final int KEY = 1;
        static final int COLON = 2;
        static final int VALUE = 3;
        static final int IN_VALUE = 4;
        static final int AFTER_VALUE = 5;
        static final int COMMA = 6;

        @Override
        public void feed(int b, Stack rest, List<Stack> out) {
            if (isWhitespace(b) && phase != KEY && phase != IN_VALUE) {
                if (whitespace < MAX_WHITESPACE) {
                    out.add(new Stack(new ObjectFrame(node, used, phase, whitespace + 1, pending), rest));
                }
                return;
            }
            switch (phase) {
                case OPEN, COMMA -> {
                    if (b == '"' && anotherKey()) {
                        long unused = allProperties() & ~used;
                        out.add(new Stack(new KeyFrame(unused, allProperties(), 0, node.additional() != null, 0),
                                new Stack(new ObjectFrame(node, used, KEY, 0, -1), rest)));
                    } else if (b == '}' && phase == OPEN && requiredWritten()) {
                        out.add(pop(rest));
                    }
                }
                case COLON -> {
                    if (b == ':') {
                        out.add(new Stack(new ObjectFrame(node, used, VALUE, 0, pending), rest));
                    }
                }
                case VALUE -> startValue(value(), b,
                        new Stack(new ObjectFrame(node, used, IN_VALUE, 0, pending), rest), out);
                case AFTER_VALUE -> {
                    if (b == ',' && anotherKey()) {
                        out.add(new Stack(new ObjectFrame(node, used, COMMA, 0, -1), rest));
                    } else if (b == '}' && requiredWritten()) {
                        out.add(pop(rest));
                    }
                }
                default -> throw new IllegalStateException("object frame fed while waiting, phase " + phase);
            }
        }

        @Override
        public Frame resume() {
            return new ObjectFrame(node, used, AFTER_VALUE, 0, -1);
        }

        /** Where the key above this frame names property {@code property} (-1: one not declared). */
        ObjectFrame afterKey(int property) {
            return new ObjectFrame(node, property >= 0 ? used | 1L << property : used, COLON, 0, property);
        }

        private Node value() {
            return pending >= 0 ? node.values()[pending] : node.additional();
        }

        private long allProperties() {
            int n = node.keys().length;
            return n == 64 ? -1L : (1L << n) - 1;
        }

        private boolean anotherKey() {
            return node.additional() != null || (allProperties() & ~used) != 0;
        }

        private boolean requiredWritten() {
            return (node.required() & ~used) == 0;
        }

        @Override
        public void finish(Stack rest, ByteArrayOutputStream out) {
            switch (phase) {
                case OPEN -> writeRequired(node, node.required() & ~used, true, out, 0);
                case COLON, VALUE -> {
                    if (phase == COLON) {
                        out.write(':');
                    }
                    minimal(value(), out, 0);
                    writeRequired(node, node.required() & ~used, false, out, 0);
                }
                case AFTER_VALUE -> writeRequired(node, node.required() & ~used, false, out, 0);
                case COMMA -> {
                    long missing = node.required() & ~used;
                    if (missing != 0) {
                        writeRequired(node, missing, true, out, 0);
                    } else if ((allProperties() & ~used) != 0) {
                        writeRequired(node, Long.lowestOneBit(allProperties() & ~used), true, out, 0);
                    } else {
                        out.writeBytes(new byte[] {'"', '"', ':'});
                        minimal(node.additional(), out, 0);
                    }
                }
                default -> throw new IllegalStateException("object frame finished while waiting, phase " + phase);
            }
            out.write('}');
        }

        /** Writes {@code "key":value} for each property in {@code properties}, joined by commas. */
        static void writeRequired(ObjectNode node, long properties, boolean first, ByteArrayOutputStream out,
                                  int depth) {
            for (int i = 0; i < node.keys().length; i++) {
                if ((properties & 1L << i) != 0) {
                    if (!first) {
                        out.write(',');
                    }
                    first = false;
                    out.write('"');
                    out.writeBytes(node.keys()[i]);
                    out.write('"');
                    out.write(':');
                    minimal(node.values()[i], out, depth + 1);
                }
            }
        }
    }

    /**
     * An object's key after its opening quote, right above its object. {@code candidates}: the
     * unwritten declared properties whose key starts with the bytes so far; {@code matching}: every
     * declared key that does; {@code other}: whether the object allows keys it does not declare,
     * and the bytes so far are still such a key's start; {@code mode} as {@link StringFrame#scan}.
     */
    private record KeyFrame(long candidates, long matching, int length, boolean other, int mode) implements Frame {
        @Override
        public void feed(int b, Stack rest, List<Stack> out) {
            ObjectFrame object = (ObjectFrame) rest.top;
            byte[][] keys = object.node().keys();
            int next = StringFrame.scan(mode, b);
            if (next == StringFrame.CLOSE) {
                int declared = exact(keys, candidates);
                if (declared >= 0) {
                    out.add(new Stack(object.afterKey(declared), rest.rest));
                } else if (other && exact(keys, matching) < 0) {
                    out.add(new Stack(object.afterKey(-1), rest.rest));
                }
                return;
            }
            long stillCandidates = narrow(keys, candidates, b);
            long stillMatching = narrow(keys, matching, b);
            boolean stillOther = other && next != StringFrame.REJECT;
            if (stillCandidates != 0 || stillOther) {
                out.add(new Stack(new KeyFrame(stillCandidates, stillMatching, length + 1, stillOther,
                        next == StringFrame.REJECT ? 0 : next), rest));
            }
        }

        private long narrow(byte[][] keys, long set, int b) {
            long kept = 0;
            for (long s = set; s != 0; s &= s - 1) {
                int i = Long.numberOfTrailingZeros(s);
                if (keys[i].length > length && (keys[i][length] & 0xFF) == b) {
                    kept |= 1L << i;
                }
            }
            return kept;
        }

        private int exact(byte[][] keys, long set) {
            for (long s = set; s != 0; s &= s - 1) {
                int i = Long.numberOfTrailingZeros(s);
                if (keys[i].length == length) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public void finish(Stack rest, ByteArrayOutputStream out) {
            ObjectFrame object = (ObjectFrame) rest.top;
            byte[][] keys = object.node().keys();
            int property = -1;
            for (long s = candidates; s != 0; s &= s - 1) {
                int i = Long.numberOfTrailingZeros(s);
                if (property < 0 || keys[i].length < keys[property].length) {
                    property = i;
                }
            }
            if (property >= 0) {
                out.write(keys[property], length, keys[property].length - length);
            } else {
                StringFrame.close(mode, out);
            }
            out.write('"');
            ObjectFrame after = object.afterKey(property);
            after.finish(rest.rest, out);
        }
    }

    /** An array after its '['; {@code count} values written. */
    private record ArrayFrame(ArrayNode node, int count, int phase, int whitespace) implements Frame {
        static final int OPEN = 0;
        static final int IN_VALUE = 1;
        static final int AFTER_VALUE = 2;
        static final int COMMA = 3;

        @Override
        public void feed(int b, Stack rest, List<Stack> out) {
            if (isWhitespace(b) && phase != IN_VALUE) {
                if (whitespace < MAX_WHITESPACE) {
                    out.add(new Stack(new ArrayFrame(node, count, phase, whitespace + 1), rest));
                }
                return;
            }
            switch (phase) {
                case OPEN, COMMA -> {
                    if (b == ']' && phase == OPEN && node.minItems() == 0) {
                        out.add(pop(rest));
                    } else if (count < node.maxItems()) {
                        startValue(node.items(), b, new Stack(new ArrayFrame(node, count, IN_VALUE, 0), rest), out);
                    }
                }
                case AFTER_VALUE -> {
                    if (b == ',' && count < node.maxItems()) {
                        out.add(new Stack(new ArrayFrame(node, count, COMMA, 0), rest));
                    } else if (b == ']' && count >= node.minItems()) {
                        out.add(pop(rest));
                    }
                }
                default -> throw new IllegalStateException("array frame fed while waiting");
            }
        }

        @Override
        public Frame resume() {
            return new ArrayFrame(node, count + 1, AFTER_VALUE, 0);
        }

        @Override
        public void finish(Stack rest, ByteArrayOutputStream out) {
            int written = count;
            if (phase == COMMA) {
                minimal(node.items(), out, 0);
                written++;
            }
            for (int i = written; i < node.minItems(); i++) {
                if (i > 0) {
                    out.write(',');
                }
                minimal(node.items(), out, 0);
            }
            out.write(']');
        }
    }

    /** A string after its opening quote; {@code length} code points begun, {@code mode} as {@link #scan}. */
    private record StringFrame(StringNode node, int length, int mode) implements Frame {
        static final int CLOSE = -2;
        static final int REJECT = -1;

        /**
         * The next mode of a JSON string's body after byte b: 0 between characters, 1 after a
         * backslash, 2-5 with 1-4 hex digits of a \\u escape to come, 6-8 with 1-3 UTF-8
         * continuation bytes to come; CLOSE for the closing quote, REJECT where b cannot be.
         */
        static int scan(int mode, int b) {
            return switch (mode) {
                case 0 -> b == '"' ? CLOSE : b == '\\' ? 1 : b < 0x20 ? REJECT : b < 0x80 ? 0
                        : b >= 0xC2 && b <= 0xDF ? 6 : b >= 0xE0 && b <= 0xEF ? 7 : b >= 0xF0 && b <= 0xF4 ? 8 : REJECT;
                case 1 -> b == 'u' ? 5 : "\"\\/bfnrt".indexOf(b) >= 0 ? 0 : REJECT;
                case 2, 3, 4, 5 -> Character.digit(b, 16) >= 0 ? (mode == 2 ? 0 : mode - 1) : REJECT;
                case 6, 7, 8 -> (b & 0xC0) == 0x80 ? (mode == 6 ? 0 : mode - 1) : REJECT;
                default -> throw new IllegalStateException("string mode " + mode);
            };
        }

        /** Writes what completes the character {@code mode} is in the middle of. */
        static void close(int mode, ByteArrayOutputStream out) {
            if (mode == 1) {
                out.write('n');
            } else if (mode >= 2 && mode <= 5) {
                for (int i = 1; i < mode; i++) {
                    out.write('0');
                }
            } else if (mode >= 6) {
                for (int i = 5; i < mode; i++) {
                    out.write(0x80 | ('a' & 0x3F));
                }
            }
        }

        @Override
        public void feed(int b, Stack rest, List<Stack> out) {
            int next = scan(mode, b);
            if (next == REJECT) {
                return;
            }
            if (next == CLOSE) {
                if (length >= node.minLength()) {
                    out.add(pop(rest));
                }
                return;
            }
            int begun = mode == 0 ? length + 1 : length;
            if (begun <= node.maxLength()) {
                out.add(new Stack(new StringFrame(node, begun, next), rest));
            }
        }

        @Override
        public void finish(Stack rest, ByteArrayOutputStream out) {
            close(mode, out);
            for (int i = length; i < node.minLength(); i++) {
                out.write('a');
            }
            out.write('"');
        }
    }

    /** A number, in the states of JSON's number grammar; {@code digits} counts the current part's digits. */
    private record NumberFrame(boolean integer, int phase, int digits) implements Frame {
        static final int SIGN = 0;
        static final int ZERO = 1;
        static final int INTEGER = 2;
        static final int POINT = 3;
        static final int FRACTION = 4;
        static final int E = 5;
        static final int EXPONENT_SIGN = 6;
        static final int EXPONENT = 7;

        @Override
        public void feed(int b, Stack rest, List<Stack> out) {
            NumberFrame next = next(b);
            if (next != null) {
                out.add(new Stack(next, rest));
            } else if (canEnd()) {
                Stack popped = pop(rest);
                popped.top.feed(b, popped.rest, out);
            }
        }

        private NumberFrame next(int b) {
            boolean digit = isDigit(b);
            boolean point = b == '.' && !integer;
            boolean e = (b == 'e' || b == 'E') && !integer;
            return switch (phase) {
                case SIGN -> b == '0' ? at(ZERO, 1) : digit ? at(INTEGER, 1) : null;
                case ZERO -> point ? at(POINT, 0) : e ? at(E, 0) : null;
                case INTEGER -> digit && digits < MAX_INTEGER_DIGITS ? at(INTEGER, digits + 1)
                        : point ? at(POINT, 0) : e ? at(E, 0) : null;
                case POINT -> digit ? at(FRACTION, 1) : null;
                case FRACTION -> digit && digits < MAX_FRACTION_DIGITS ? at(FRACTION, digits + 1) : e ? at(E, 0) : null;
                case E -> b == '+' || b == '-' ? at(EXPONENT_SIGN, 0) : digit ? at(EXPONENT, 1) : null;
                case EXPONENT_SIGN -> digit ? at(EXPONENT, 1) : null;
                case EXPONENT -> digit && digits < MAX_EXPONENT_DIGITS ? at(EXPONENT, digits + 1) : null;
                default -> throw new IllegalStateException("number phase " + phase);
            };
        }

        private NumberFrame at(int phase, int digits) {
            return new NumberFrame(integer, phase, digits);
        }

        @Override
        public boolean canEnd() {
            return phase == ZERO || phase == INTEGER || phase == FRACTION || phase == EXPONENT;
        }

        @Override
        public void finish(Stack rest, ByteArrayOutputStream out) {
            if (!canEnd()) {
                out.write('0');
            }
        }
    }

    /** Some of a literal's bytes: the {@code choices} are those that start with them. */
    private record LiteralFrame(byte[][] choices, int length) implements Frame {
        static byte[][] matching(byte[][] choices, int at, int b) {
            int count = 0;
            byte[][] kept = new byte[choices.length][];
            for (byte[] choice : choices) {
                if (choice.length > at && (choice[at] & 0xFF) == b) {
                    kept[count++] = choice;
                }
            }
            return count == kept.length ? kept : Arrays.copyOf(kept, count);
        }

        static byte[] shortest(byte[][] choices, int from) {
            byte[] shortest = choices[0];
            for (byte[] choice : choices) {
                if (choice.length < shortest.length) {
                    shortest = choice;
                }
            }
            return Arrays.copyOfRange(shortest, from, shortest.length);
        }

        @Override
        public void feed(int b, Stack rest, List<Stack> out) {
            byte[][] next = matching(choices, length, b);
            if (next.length > 0) {
                out.add(new Stack(new LiteralFrame(next, length + 1), rest));
            }
            if (canEnd()) {
                Stack popped = pop(rest);
                popped.top.feed(b, popped.rest, out);
            }
        }

        @Override
        public boolean canEnd() {
            for (byte[] choice : choices) {
                if (choice.length == length) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void finish(Stack rest, ByteArrayOutputStream out) {
            out.writeBytes(shortest(choices, length));
        }
    }
}
