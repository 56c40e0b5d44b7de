package eu.souverain.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonStateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Map<String, Object> PERSON = schema("""
            {"type":"object","properties":{
               "name":{"type":"string","maxLength":8},
               "age":{"type":"integer"},
               "tags":{"type":"array","items":{"enum":["a","b\\"c",3]},"maxItems":3},
               "pet":{"anyOf":[{"type":"null"},{"$ref":"#/$defs/pet"}]}},
             "required":["name","age"],
             "$defs":{"pet":{"type":"object","properties":{"kind":{"const":"cat"},"weight":{"type":["number","string"]}},
                             "required":["kind"],"additionalProperties":false}}}""");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> schema(String json) {
        try {
            return JSON.readValue(json, Map.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static JsonState feed(JsonSchema schema, String text) {
        return JsonState.start(schema).advance(text.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"a\":1}", "{\"a\": [1, -2.5e+10, 0.0, true, false, null, \"x\\n\\u00e9é😀\"]}",
            "{\"a\":{\"b\":{\"c\":[]}},\"d\":\"\"}", "{\n  \"k\" : \"v\" ,\n  \"k2\":{}\n}", "{\"\":-0}"})
    void anyObjectAcceptsObjects(String document) {
        JsonState state = feed(JsonSchema.anyObject(), document);
        assertThat(state).as(document).isNotNull();
        assertThat(state.isComplete()).isTrue();
        assertThat(state.completion()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "1", "\"s\"", " {}", "{}x", "{} ", "{\"a\" 1}", "{,}", "{\"a\":1,}", "{\"a\":01}",
            "{\"a\":1.}", "{\"a\":\"\\x\"}", "{\"a\":\"line\nbreak\"}", "{\"a\":     1}", "{\"a\":tru}", "{a:1}",
            "{\"a\":12345678901234567}", "{\"a\":[1 2]}"})
    void anyObjectRejects(String document) {
        JsonState state = feed(JsonSchema.anyObject(), document);
        assertThat(state == null || !state.isComplete()).as(document).isTrue();
    }

    @Test
    void invalidUtf8IsRejectedInStrings() {
        JsonState open = feed(JsonSchema.anyObject(), "{\"a\":\"");
        assertThat(open.advance(0xFF)).isNull();
        assertThat(open.advance(0x80)).isNull();
        assertThat(open.advance(0xC3)).isNotNull();
        assertThat(open.advance(0xC3).advance('"')).isNull();
    }

    @Test
    void prefixesOfValidDocumentsAreNeverRejected() {
        String document = "{\"name\":\"Zoé\",\"tags\":[\"b\\\"c\",3],\"age\":42,\"pet\":{\"weight\":\"4kg\",\"kind\":\"cat\"}}";
        JsonSchema schema = JsonSchema.compile(PERSON, true);
        JsonState state = JsonState.start(schema);
        byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            assertThat(state.isComplete()).isFalse();
            state = state.advance(bytes[i] & 0xFF);
            assertThat(state).as("after %s", new String(bytes, 0, i + 1, StandardCharsets.UTF_8)).isNotNull();
        }
        assertThat(state.isComplete()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"name\":\"x\"}",                          // age is required
            "{\"name\":\"x\",\"age\":1.5}",              // integer
            "{\"name\":\"x\",\"age\":1,\"extra\":1}",    // strict: no other property
            "{\"name\":\"x\",\"name\":\"y\",\"age\":1}", // once each
            "{\"name\":\"123456789\",\"age\":1}",        // maxLength 8
            "{\"name\":\"x\",\"age\":1,\"tags\":[\"c\"]}",
            "{\"name\":\"x\",\"age\":1,\"tags\":[3,3,3,3]}",
            "{\"name\":\"x\",\"age\":1,\"pet\":{\"kind\":\"dog\"}}",
            "{\"name\":\"x\",\"age\":1,\"pet\":{\"weight\":1}}",
            "{\"name\":\"x\",\"age\":1,\"pet\":{\"kind\":\"cat\",\"weight\":true}}",
            "{\"name\":\"x\",\"age\":1,\"pet\":false}",
            "{\"nam\":\"x\",\"age\":1}"})
    void schemaRejects(String document) {
        JsonState state = feed(JsonSchema.compile(PERSON, true), document);
        assertThat(state == null || !state.isComplete()).as(document).isTrue();
    }

    @Test
    void schemaAccepts() {
        JsonSchema schema = JsonSchema.compile(PERSON, true);
        for (String document : List.of("{\"age\":-3,\"name\":\"\"}", "{\"name\":\"x\",\"age\":1,\"pet\":null}",
                "{\"name\":\"x\",\"age\":0,\"pet\":{\"kind\":\"cat\",\"weight\":2.5}}",
                "{\"name\":\"x\",\"age\":0,\"tags\":[]}")) {
            JsonState state = feed(schema, document);
            assertThat(state).as(document).isNotNull();
            assertThat(state.isComplete()).as(document).isTrue();
        }
    }

    @Test
    void withoutStrictOtherPropertiesHoldAnyValueButDeclaredKeysKeepTheirSchema() {
        JsonSchema loose = JsonSchema.compile(PERSON, false);
        assertThat(feed(loose, "{\"name\":\"x\",\"age\":1,\"extra\":[{}]}").isComplete()).isTrue();
        assertThat(feed(loose, "{\"name\":\"x\",\"age\":1,\"nam\":2}").isComplete()).isTrue();
        assertThat(feed(loose, "{\"name\":1")).isNull();
    }

    @Test
    void topLevelScalarsAndLiteralsEndWhereTheyMay() {
        JsonSchema numbers = JsonSchema.compile(Map.of("type", "number"), true);
        assertThat(feed(numbers, "12").isComplete()).isTrue();
        assertThat(feed(numbers, "12.").isComplete()).isFalse();
        assertThat(feed(numbers, "12.5e3").isComplete()).isTrue();
        JsonSchema choices = JsonSchema.compile(Map.of("enum", List.of(1, 12, "x")), true);
        assertThat(feed(choices, "1").isComplete()).isTrue();
        assertThat(feed(choices, "12").isComplete()).isTrue();
        assertThat(feed(choices, "13")).isNull();
        assertThat(feed(choices, "\"x\"").isComplete()).isTrue();
    }

    @Test
    void unsupportedKeywordsAreRefusedByName() {
        assertThatThrownBy(() -> JsonSchema.compile(
                        schema("{\"type\":\"string\",\"pattern\":\"^a\"}"), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'pattern'");
        assertThatThrownBy(() -> JsonSchema.compile(
                        schema("{\"type\":\"object\",\"required\":[\"x\"]}"), true))
                .hasMessageContaining("'x'");
        assertThatThrownBy(() -> JsonSchema.compile(
                        schema("{\"$ref\":\"#/$defs/missing\"}"), true))
                .hasMessageContaining("points to nothing");
        assertThatThrownBy(() -> JsonSchema.compile(
                        schema("{\"type\":\"object\",\"anyOf\":[{\"required\":[\"a\"]}]}"), true))
                .hasMessageContaining("combines anyOf with 'type'");
    }

    /** Random walks over the allowed bytes, then the completion: every result parses (and validates). */
    @Test
    void completionClosesAnyPrefix() throws Exception {
        byte[] alphabet = "{}[],:\"\\ -0123456789.eE+truefalsnl abcxyzkindcatweightagetags\u00e9".getBytes(StandardCharsets.UTF_8);
        SplittableRandom random = new SplittableRandom(11);
        for (JsonSchema schema : List.of(JsonSchema.anyObject(), JsonSchema.compile(PERSON, true))) {
            for (int walk = 0; walk < 300; walk++) {
                JsonState state = JsonState.start(schema);
                StringBuilder written = new StringBuilder();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                int steps = random.nextInt(40);
                for (int i = 0; i < steps; i++) {
                    int start = random.nextInt(alphabet.length);
                    JsonState next = null;
                    for (int j = 0; j < alphabet.length && next == null; j++) {
                        int b = alphabet[(start + j) % alphabet.length] & 0xFF;
                        next = state.advance(b);
                        if (next != null) {
                            bytes.write(b);
                        }
                    }
                    if (next == null) {
                        break;
                    }
                    state = next;
                }
                byte[] completion = state.completion();
                JsonState closed = state.advance(completion);
                written.append(bytes.toString(StandardCharsets.UTF_8));
                assertThat(closed).as("%s + %s", written, new String(completion, StandardCharsets.UTF_8)).isNotNull();
                assertThat(closed.isComplete()).isTrue();
                bytes.writeBytes(completion);
                JsonNode parsed = JSON.readTree(bytes.toByteArray());
                assertThat(parsed.isObject()).isTrue();
                if (schema != JsonSchema.anyObject() && parsed.has("age")) {
                    assertThat(parsed.get("age").isIntegralNumber()).isTrue();
                }
            }
        }
    }
}
