package eu.souverain.engine.sample;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON documents a constraint lets a model write, compiled from a practical subset of JSON
 * Schema: {@code type} (one or several), {@code properties}, {@code required},
 * {@code additionalProperties}, {@code items}, {@code minItems}/{@code maxItems},
 * {@code minLength}/{@code maxLength}, {@code enum}, {@code const}, {@code anyOf}/{@code oneOf},
 * and {@code $ref} to {@code #/$defs/...} or {@code #/definitions/...}. Annotations (title,
 * description, default, format...) are ignored; a keyword that would restrict the documents in a
 * way this subset cannot enforce (pattern, minimum...) is refused, so that every document the
 * constraint accepts validates.
 *
 * <p>Enum and const values are written as compact JSON. Objects may list their properties in any
 * order, each at most once.
 *
 * <p>What following a schema costs is bounded when it is compiled: its nesting, its size, the
 * alternatives and enum values of each part, and the shortest document of every part (what
 * closing it in time writes, each step), against the bytes the answer may hold. A schema past
 * a bound is refused, naming the part and keyword, before any token is generated.
 */
public final class JsonSchema {

    /** Keywords that only describe, never restrict. */
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema",
            "$id", "$comment", "format", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "strict",
            "contentMediaType", "contentEncoding");

    private static final Set<String> KEYWORDS = Set.of("type", "properties", "required", "additionalProperties",
            "items", "enum", "const", "anyOf", "oneOf", "$ref", "minItems", "maxItems", "minLength", "maxLength");

    /** Schema objects nested in one another, at most. */
    public static final int MAX_DEPTH = 32;
    /** Schema objects in one schema, at most, definitions included. */
    public static final int MAX_NODES = 4096;
    /** Values of one enum, at most. */
    public static final int MAX_ENUM_VALUES = 1024;
    /** Alternatives of one anyOf or oneOf, at most. */
    public static final int MAX_ALTERNATIVES = 64;
    /** The bytes of a shortest document, when the caller gives no smaller budget. */
    public static final long MAX_DOCUMENT_BYTES = 1 << 20;

    /** One kind of value; objects of these are shared, immutable, and may form cycles through {@link Ref}. */
    sealed interface Node permits ObjectNode, ArrayNode, StringNode, NumberNode, Literals, AnyOf, Ref {}

    /**
     * An object. {@code keys} are the property names as JSON writes them between the quotes;
     * {@code additional} is the schema of any other property, or null when there may be none.
     */
    record ObjectNode(byte[][] keys, Node[] values, long required, Node additional) implements Node {}

    record ArrayNode(Node items, int minItems, int maxItems) implements Node {}

    /** Lengths count code points. */
    record StringNode(int minLength, int maxLength) implements Node {}

    record NumberNode(boolean integer) implements Node {}

    /** Exactly one of these byte strings: enum, const, booleans, null. */
    record Literals(byte[][] choices) implements Node {}

    record AnyOf(Node[] alternatives) implements Node {}

    /** A $ref, resolved once every definition is compiled. */
    static final class Ref implements Node {
        Node target;
    }

    /** Any JSON value. */
    static final Node ANY_VALUE;

    static {
        Ref any = new Ref();
        any.target = new AnyOf(new Node[] {
                new ObjectNode(new byte[0][], new Node[0], 0, any),
                new ArrayNode(any, 0, Integer.MAX_VALUE),
                new StringNode(0, Integer.MAX_VALUE),
                new NumberNode(false),
                literals("true", "false", "null")});
        ANY_VALUE = any;
    }

    private final Node root;
    /** The parts whose shortest document is longest, each with its size: see {@link #requireFits}. */
    private final List<Need> needs;

    /** A part of the schema, named by its path and the keyword that makes it long, and its shortest document's bytes. */
    record Need(String where, int depth, long bytes) {}

    private JsonSchema(Node root, List<Need> needs) {
        this.root = root;
        this.needs = needs;
    }

    Node root() {
        return root;
    }

    /** Any JSON object, as OpenAI's and Mistral's JSON mode ask. */
    public static JsonSchema anyObject() {
        return new JsonSchema(new ObjectNode(new byte[0][], new Node[0], 0, ANY_VALUE), List.of());
    }

    /** The bytes of the schema's shortest document, as constrained decoding writes it. */
    public long minimalBytes() {
        return needs.isEmpty() ? 2 : needs.getFirst().bytes();
    }

    /**
     * Throws IllegalArgumentException, naming the part and its keyword, when some part's shortest
     * document takes more than {@code maxBytes}: an answer of that budget could never hold it, and
     * closing it in time would write it whole at every step.
     */
    public void requireFits(long maxBytes) {
        Need worst = null;
        for (Need need : needs) {
            if (need.bytes() > maxBytes && (worst == null || need.depth() > worst.depth())) {
                worst = need;
            }
        }
        if (worst != null) {
            throw new IllegalArgumentException(worst.where() + ": its shortest value takes "
                    + (worst.bytes() >= INFINITE ? "endless bytes (it requires itself) or more than any answer holds"
                            : worst.bytes() + " bytes")
                    + "; the answer may hold at most " + maxBytes);
        }
    }

    /**
     * Compiles a schema given as JSON decodes into Java (maps, lists, strings, numbers, booleans).
     * With {@code strict}, an object schema without additionalProperties allows no other
     * properties, as OpenAI's strict mode does; otherwise other properties may hold any value.
     * Throws IllegalArgumentException naming the part it cannot enforce.
     */
    public static JsonSchema compile(Object schema, boolean strict) {
        return compile(schema, strict, MAX_DOCUMENT_BYTES);
    }

    /** As {@link #compile(Object, boolean)}, refusing a part whose shortest document exceeds {@code maxBytes} (see {@link #requireFits}). */
    public static JsonSchema compile(Object schema, boolean strict, long maxBytes) {
        JsonSchema compiled = new Compiler(schema, strict).compile();
        compiled.requireFits(Math.min(maxBytes, MAX_DOCUMENT_BYTES));
        return compiled;
    }

    /** Sizes past any budget: a part that cannot end, or whose size overflowed. */
    private static final long INFINITE = MinimalSizes.INFINITE;

    private static Literals literals(String... json) {
        byte[][] choices = new byte[json.length][];
        for (int i = 0; i < json.length; i++) {
            choices[i] = json[i].getBytes(StandardCharsets.UTF_8);
        }
        return new Literals(choices);
    }

    private static final class Compiler {
        private final Object document;
        private final boolean strict;
        private final Map<String, Ref> refs = new HashMap<>();
        /** Every part compiled, with the path and keyword that name it. */
        private final Map<Node, Need> parts = new IdentityHashMap<>();
        private int depth;

        Compiler(Object document, boolean strict) {
            this.document = document;
            this.strict = strict;
        }

        JsonSchema compile() {
            Node root = node(document, "schema");
            // A definition may name others: resolve until none is left unresolved.
            for (List<Map.Entry<String, Ref>> open = unresolved(); !open.isEmpty(); open = unresolved()) {
                for (Map.Entry<String, Ref> entry : open) {
                    depth = 0;
                    entry.getValue().target = node(resolve(entry.getKey()), entry.getKey());
                }
            }
            Map<Node, Long> sizes = MinimalSizes.of(parts.keySet());
            List<Need> needs = new ArrayList<>();
            for (Map.Entry<Node, Need> part : parts.entrySet()) {
                Need need = part.getValue();
                needs.add(new Need(need.where(), need.depth(), sizes.get(part.getKey())));
            }
            long rootSize = sizes.getOrDefault(root, 1L);
            needs.sort(Comparator.comparingLong(Need::bytes).reversed());
            needs.addFirst(new Need("schema", 0, rootSize));
            return new JsonSchema(root, List.copyOf(needs));
        }

        private List<Map.Entry<String, Ref>> unresolved() {
            return refs.entrySet().stream().filter(e -> e.getValue().target == null).toList();
        }

        /** Notes a compiled part, named by {@code path} and the keyword that sets its size. */
        private <N extends Node> N part(N node, String path, String keyword) {
            if (parts.size() >= MAX_NODES) {
                throw new IllegalArgumentException(path + ": the schema has more than " + MAX_NODES
                        + " parts; constrained decoding supports at most " + MAX_NODES);
            }
            // A $ref is blamed only when nothing inside its definition is.
            parts.put(node, new Need(path + "." + keyword, node instanceof Ref ? -1 : depth, 0));
            return node;
        }

        private Object resolve(String ref) {
            Object at = document;
            for (String part : ref.substring(2).split("/")) {
                String name = part.replace("~1", "/").replace("~0", "~");
                if (!(at instanceof Map<?, ?> map) || !map.containsKey(name)) {
                    throw new IllegalArgumentException("$ref '" + ref + "' points to nothing in the schema");
                }
                at = map.get(name);
            }
            return at;
        }

        private Node node(Object schema, String path) {
            if (depth >= MAX_DEPTH) {
                throw new IllegalArgumentException(path + ": the schema nests deeper than " + MAX_DEPTH
                        + " levels; constrained decoding supports at most " + MAX_DEPTH);
            }
            depth++;
            try {
                return nodeAtDepth(schema, path);
            } finally {
                depth--;
            }
        }

        private Node nodeAtDepth(Object schema, String path) {
            if (schema instanceof Boolean b) {
                if (!b) {
                    throw new IllegalArgumentException(path + " is false: no value can match it");
                }
                return ANY_VALUE;
            }
            if (!(schema instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException(path + " must be an object, got " + describe(schema));
            }
            for (Object key : map.keySet()) {
                if (!KEYWORDS.contains(key) && !ANNOTATIONS.contains(key)) {
                    throw new IllegalArgumentException(path + " uses '" + key + "', which constrained decoding does"
                            + " not support; supported: " + String.join(", ", KEYWORDS.stream().sorted().toList()));
                }
            }
            if (map.containsKey("$ref")) {
                if (map.size() > 1 && map.keySet().stream().anyMatch(k -> KEYWORDS.contains(k) && !k.equals("$ref"))) {
                    throw new IllegalArgumentException(path
                            + " combines $ref with other keywords, which is not supported");
                }
                String ref = string(map.get("$ref"), path + ".$ref");
                if (!ref.startsWith("#/$defs/") && !ref.startsWith("#/definitions/")) {
                    throw new IllegalArgumentException(path + ".$ref '" + ref
                            + "' is not supported; only '#/$defs/NAME' and '#/definitions/NAME'");
                }
                return refs.computeIfAbsent(ref, r -> part(new Ref(), path, "$ref"));
            }
            if (map.containsKey("const")) {
                return part(new Literals(new byte[][] {json(map.get("const"))}), path, "const");
            }
            if (map.containsKey("enum")) {
                if (!(map.get("enum") instanceof List<?> values) || values.isEmpty()) {
                    throw new IllegalArgumentException(path + ".enum must be a non-empty array");
                }
                if (values.size() > MAX_ENUM_VALUES) {
                    throw new IllegalArgumentException(path + ".enum has " + values.size()
                            + " values; constrained decoding supports at most " + MAX_ENUM_VALUES);
                }
                byte[][] choices = new byte[values.size()][];
                for (int i = 0; i < values.size(); i++) {
                    choices[i] = json(values.get(i));
                }
                return part(new Literals(choices), path, "enum");
            }
            for (String keyword : List.of("anyOf", "oneOf")) {
                if (map.containsKey(keyword)) {
                    for (Object other : map.keySet()) {
                        if (KEYWORDS.contains(other) && !other.equals(keyword)) {
                            throw new IllegalArgumentException(path + " combines " + keyword + " with '" + other
                                    + "', which is not supported; put it inside each alternative");
                        }
                    }
                    if (!(map.get(keyword) instanceof List<?> list) || list.isEmpty()) {
                        throw new IllegalArgumentException(path + "." + keyword + " must be a non-empty array");
                    }
                    if (list.size() > MAX_ALTERNATIVES) {
                        throw new IllegalArgumentException(path + "." + keyword + " has " + list.size()
                                + " alternatives; constrained decoding supports at most " + MAX_ALTERNATIVES);
                    }
                    Node[] alternatives = new Node[list.size()];
                    for (int i = 0; i < list.size(); i++) {
                        alternatives[i] = node(list.get(i), path + "." + keyword + "[" + i + "]");
                    }
                    return part(new AnyOf(alternatives), path, keyword);
                }
            }
            Object type = map.get("type");
            if (type == null) {
                if (map.containsKey("properties") || map.containsKey("additionalProperties")) {
                    return typed("object", map, path);
                }
                if (map.containsKey("items")) {
                    return typed("array", map, path);
                }
                return ANY_VALUE;
            }
            if (type instanceof List<?> types) {
                if (types.isEmpty()) {
                    throw new IllegalArgumentException(path + ".type must not be an empty array");
                }
                Node[] alternatives = new Node[types.size()];
                for (int i = 0; i < types.size(); i++) {
                    alternatives[i] = typed(string(types.get(i), path + ".type[" + i + "]"), map, path);
                }
                return alternatives.length == 1 ? alternatives[0] : part(new AnyOf(alternatives), path, "type");
            }
            return typed(string(type, path + ".type"), map, path);
        }

        private Node typed(String type, Map<?, ?> map, String path) {
            return switch (type) {
                case "object" -> object(map, path);
                case "array" -> {
                    Object items = map.get("items");
                    int min = count(map, "minItems", 0, path);
                    int max = count(map, "maxItems", Integer.MAX_VALUE, path);
                    if (min > max) {
                        throw new IllegalArgumentException(path + ": minItems " + min + " exceeds maxItems " + max);
                    }
                    yield part(new ArrayNode(items == null ? ANY_VALUE : node(items, path + ".items"), min, max), path,
                            "minItems " + min);
                }
                case "string" -> {
                    int min = count(map, "minLength", 0, path);
                    int max = count(map, "maxLength", Integer.MAX_VALUE, path);
                    if (min > max) {
                        throw new IllegalArgumentException(path + ": minLength " + min + " exceeds maxLength " + max);
                    }
                    yield part(new StringNode(min, max), path, "minLength " + min);
                }
                case "number" -> new NumberNode(false);
                case "integer" -> new NumberNode(true);
                case "boolean" -> part(literals("true", "false"), path, "type");
                case "null" -> part(literals("null"), path, "type");
                default -> throw new IllegalArgumentException(path + ".type '" + type
                        + "' is not a JSON Schema type; expected object, array, string, number, integer,"
                        + " boolean or null");
            };
        }

        private Node object(Map<?, ?> map, String path) {
            Map<String, Node> properties = new LinkedHashMap<>();
            Object declared = map.get("properties");
            if (declared != null) {
                if (!(declared instanceof Map<?, ?> props)) {
                    throw new IllegalArgumentException(path + ".properties must be an object");
                }
                for (Map.Entry<?, ?> entry : props.entrySet()) {
                    String name = String.valueOf(entry.getKey());
                    properties.put(name, node(entry.getValue(), path + ".properties." + name));
                }
            }
            if (properties.size() > 64) {
                throw new IllegalArgumentException(path + " declares " + properties.size()
                        + " properties; constrained decoding supports at most 64 per object");
            }
            List<String> names = new ArrayList<>(properties.keySet());
            long required = 0;
            Object requiredList = map.get("required");
            if (requiredList != null) {
                if (!(requiredList instanceof List<?> list)) {
                    throw new IllegalArgumentException(path + ".required must be an array of property names");
                }
                for (Object name : list) {
                    int index = names.indexOf(String.valueOf(name));
                    if (index < 0) {
                        throw new IllegalArgumentException(path + ".required names '" + name
                                + "', which is not among its properties");
                    }
                    required |= 1L << index;
                }
            }
            Object additional = map.get("additionalProperties");
            Node other;
            if (additional == null) {
                other = strict ? null : ANY_VALUE;
            } else if (additional instanceof Boolean allowed) {
                other = allowed ? ANY_VALUE : null;
            } else {
                other = node(additional, path + ".additionalProperties");
            }
            byte[][] keys = new byte[names.size()][];
            Node[] values = new Node[names.size()];
            for (int i = 0; i < names.size(); i++) {
                byte[] quoted = json(names.get(i));
                keys[i] = Arrays.copyOfRange(quoted, 1, quoted.length - 1);
                values[i] = properties.get(names.get(i));
            }
            return part(new ObjectNode(keys, values, required, other), path, "required");
        }

        private static int count(Map<?, ?> map, String keyword, int absent, String path) {
            Object value = map.get(keyword);
            if (value == null) {
                return absent;
            }
            if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 0) {
                throw new IllegalArgumentException(path + "." + keyword + " must be a non-negative integer");
            }
            return (int) Math.min(n.longValue(), Integer.MAX_VALUE);
        }

        private static String string(Object value, String path) {
            if (!(value instanceof String s)) {
                throw new IllegalArgumentException(path + " must be a string, got " + describe(value));
            }
            return s;
        }

        private static byte[] json(Object value) {
            StringBuilder out = new StringBuilder();
            write(value, out);
            return out.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** Compact JSON, as a model writing the value would most simply write it. */
        private static void write(Object value, StringBuilder out) {
            switch (value) {
                case null -> out.append("null");
                case String s -> {
                    out.append('"');
                    for (int i = 0; i < s.length(); i++) {
                        char c = s.charAt(i);
                        switch (c) {
                            case '"' -> out.append("\\\"");
                            case '\\' -> out.append("\\\\");
                            case '\n' -> out.append("\\n");
                            case '\r' -> out.append("\\r");
                            case '\t' -> out.append("\\t");
                            default -> {
                                if (c < 0x20) {
                                    out.append(String.format("\\u%04x", (int) c));
                                } else {
                                    out.append(c);
                                }
                            }
                        }
                    }
                    out.append('"');
                }
                case Double d when d.isNaN() || d.isInfinite() -> throw new IllegalArgumentException(
                        "cannot write " + d + " as JSON");
                case Number n -> out.append(n);
                case Boolean b -> out.append(b);
                case Map<?, ?> map -> {
                    out.append('{');
                    boolean first = true;
                    for (Map.Entry<?, ?> entry : map.entrySet()) {
                        if (!first) {
                            out.append(',');
                        }
                        first = false;
                        write(String.valueOf(entry.getKey()), out);
                        out.append(':');
                        write(entry.getValue(), out);
                    }
                    out.append('}');
                }
                case List<?> list -> {
                    out.append('[');
                    for (int i = 0; i < list.size(); i++) {
                        if (i > 0) {
                            out.append(',');
                        }
                        write(list.get(i), out);
                    }
                    out.append(']');
                }
                default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getSimpleName()
                        + " as JSON");
            }
        }

        private static String describe(Object value) {
            return value == null ? "null" : value instanceof List ? "an array" : value instanceof String ? "a string"
                    : value instanceof Number ? "a number" : value instanceof Boolean ? "a boolean" : "an object";
        }
    }
}
