package eu.souverain.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Schemas written to make constrained decoding cost without bound: each is refused when it is
 * compiled, naming the part and keyword, before any token is generated; schemas as large as an
 * answer may hold still compile.
 */
class HostileSchemaTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        try (GGUFFile file = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-llama-spm.gguf"))) {
            tokenizer = Tokenizer.fromMetadata(file.metadata());
        }
    }

    private static Object schema(String json) throws IOException {
        return JSON.readValue(json, Object.class);
    }

    @Test
    void aHugeMinLengthIsRefusedNamingItsKeyword() throws IOException {
        for (String length : List.of("2147483647", "100000000", "1048577")) {
            Object hostile = schema("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":"
                    + length + "}},\"required\":[\"name\"]}");
            assertThatThrownBy(() -> JsonSchema.compile(hostile, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("schema.properties.name.minLength " + length);
        }
    }

    @Test
    void aHugeMinLengthInAnOptionalPropertyOrAnAlternativeIsRefusedToo() throws IOException {
        // Shortest document "{}" or "null", but a model that opens the long part must write it whole.
        Object optional = schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minLength\":"
                + "2000000000}}}");
        assertThatThrownBy(() -> JsonSchema.compile(optional, true)).hasMessageContaining("schema.properties.a.minLength");
        Object alternative = schema("{\"anyOf\":[{\"type\":\"null\"},{\"type\":\"array\",\"minItems\":2000000000}]}");
        assertThatThrownBy(() -> JsonSchema.compile(alternative, true)).hasMessageContaining("schema.anyOf[1].minItems");
    }

    @Test
    void minItemsTimesItsItemsOverflowingIsRefusedWithoutWritingThem() throws IOException {
        // Each item fits; 2^31 of them do not, and their size overflows an int many times over.
        Object nested = schema("{\"type\":\"array\",\"minItems\":2147483647,\"items\":{\"type\":\"array\","
                + "\"minItems\":2147483647,\"items\":{\"type\":\"string\",\"minLength\":1000}}}");
        long start = System.nanoTime();
        assertThatThrownBy(() -> JsonSchema.compile(nested, true)).hasMessageContaining("schema.items.minItems 2147483647");
        System.out.printf("hostile minItems schema refused in %.2f ms%n", (System.nanoTime() - start) / 1e6);
    }

    @Test
    void deepNestingIsRefusedAtItsDepth() throws IOException {
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            deep.append("{\"type\":\"array\",\"items\":");
        }
        deep.append("{\"type\":\"null\"}").append("}".repeat(500));
        assertThatThrownBy(() -> JsonSchema.compile(schema(deep.toString()), true))
                .hasMessageContaining("nests deeper than " + JsonSchema.MAX_DEPTH);
    }

    @Test
    void wideEnumsAlternativesAndSchemasAreRefusedByCount() throws IOException {
        List<Object> values = new ArrayList<>();
        for (int i = 0; i <= JsonSchema.MAX_ENUM_VALUES; i++) {
            values.add("v" + i);
        }
        assertThatThrownBy(() -> JsonSchema.compile(Map.of("enum", values), true))
                .hasMessageContaining("schema.enum has " + values.size() + " values");
        List<Object> alternatives = new ArrayList<>();
        for (int i = 0; i <= JsonSchema.MAX_ALTERNATIVES; i++) {
            alternatives.add(Map.of("const", i));
        }
        assertThatThrownBy(() -> JsonSchema.compile(Map.of("anyOf", alternatives), true))
                .hasMessageContaining("schema.anyOf has " + alternatives.size() + " alternatives");
        // Many small objects, each within bounds: the whole schema is still bounded.
        Map<String, Object> definitions = new LinkedHashMap<>();
        for (int i = 0; i < 2000; i++) {
            definitions.put("d" + i, Map.of("type", "object", "properties", Map.of("x", Map.of("type", "string"),
                    "y", Map.of("type", "integer"))));
        }
        Map<String, Object> wide = new LinkedHashMap<>();
        wide.put("$defs", definitions);
        List<Object> refs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            refs.add(Map.of("$ref", "#/$defs/d" + i));
        }
        wide.put("type", "object");
        Map<String, Object> properties = new LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            properties.put("p" + i, Map.of("anyOf", refs.subList(i * 50, i * 50 + 50)));
        }
        wide.put("properties", properties);
        assertThatThrownBy(() -> JsonSchema.compile(wide, true)).hasMessageContaining("more than " + JsonSchema.MAX_NODES
                + " parts");
    }

    @Test
    void aRecursionWithoutEndIsRefusedAndOneWithAnEndCompiles() throws IOException {
        Object endless = schema("{\"$defs\":{\"n\":{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#/$defs/n\"}},"
                + "\"required\":[\"next\"]}},\"$ref\":\"#/$defs/n\"}");
        assertThatThrownBy(() -> JsonSchema.compile(endless, true)).hasMessageContaining("endless");
        Object list = schema("{\"$defs\":{\"n\":{\"type\":\"object\",\"properties\":{\"next\":{\"anyOf\":[{\"type\":\"null\"},"
                + "{\"$ref\":\"#/$defs/n\"}]}},\"required\":[\"next\"]}},\"$ref\":\"#/$defs/n\"}");
        assertThat(JsonSchema.compile(list, true).minimalBytes()).isEqualTo("{\"next\":null}".length());
    }

    @Test
    void theTokenBudgetBoundsTheShortestDocument() throws IOException {
        Object fits = schema("{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":300}},"
                + "\"required\":[\"s\"]}");
        JsonSchema schema = JsonSchema.compile(fits, true);
        assertThat(schema.minimalBytes()).isEqualTo(308);
        int longest = TokenTable.of(tokenizer).longest;
        // 308 bytes need at least ceil(308 / longest) tokens: one fewer cannot hold them.
        int needed = (int) ((308 + longest - 1) / longest);
        JsonConstraint.requireFits(schema, tokenizer, needed);
        assertThatThrownBy(() -> JsonConstraint.requireFits(schema, tokenizer, needed - 1))
                .hasMessageContaining("schema.properties.s.minLength 300");
        // Followed within the budget, the document is whole and short of nothing.
        JsonConstraint constraint = new JsonConstraint(schema, tokenizer, 400);
        float[] logits = new float[tokenizer.vocabularySize()];
        constraint.mask(logits);
        assertThat(logits).contains(0f);
    }
}
