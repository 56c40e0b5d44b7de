package eu.souverain.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The token mask on Llama 2's real 32,000-token vocabulary. */
class JsonConstraintTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        try (GGUFFile file = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-llama-spm.gguf"))) {
            tokenizer = Tokenizer.fromMetadata(file.metadata());
        }
    }

    private static float[] zeros() {
        return new float[tokenizer.vocabularySize()];
    }

    /** The mask allows exactly the tokens whose bytes, checked one token at a time, keep the document valid. */
    private static void assertMaskMatchesBruteForce(JsonConstraint constraint, JsonState state) {
        float[] logits = zeros();
        constraint.mask(logits);
        for (int token = 0; token < logits.length; token++) {
            byte[] bytes = tokenizer.tokenBytes(token);
            boolean valid = bytes.length > 0 ? state.advance(bytes) != null
                    : tokenizer.isEndOfGeneration(token) && state.isComplete();
            assertThat(logits[token] == 0f).as("token %d %s", token, tokenizer.tokenText(token)).isEqualTo(valid);
        }
    }

    /** A constraint that has accepted {@code text}, one byte token at a time. */
    private static JsonConstraint after(JsonSchema schema, String text) {
        JsonConstraint constraint = new JsonConstraint(schema, tokenizer, Integer.MAX_VALUE);
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            constraint.accept(tokenizer.findToken(String.format("<0x%02X>", b & 0xFF)).orElseThrow());
        }
        return constraint;
    }

    @Test
    void maskAllowsExactlyTheValidTokens() {
        JsonSchema any = JsonSchema.anyObject();
        for (String prefix : new String[] {"", "{", "{\"key", "{\"key\":", "{\"key\": [1, tr", "{\"a\":1}",
                "{\"key\":\"some text"}) {
            // Encoding adds SentencePiece's leading space; start from the bytes the model would write.
            JsonState state = JsonState.start(any).advance(prefix.getBytes(StandardCharsets.UTF_8));
            assertMaskMatchesBruteForce(after(any, prefix), state);
        }
    }

    @Test
    void onlyTheEndTokenOnceTheDocumentIsWhole() {
        JsonConstraint constraint = after(JsonSchema.anyObject(), "{}");
        float[] logits = zeros();
        constraint.mask(logits);
        assertThat(constraint.isComplete()).isTrue();
        for (int token = 0; token < logits.length; token++) {
            assertThat(logits[token] == 0f).isEqualTo(token == tokenizer.eosToken());
        }
        assertThatThrownBy(() -> constraint.accept(tokenizer.findToken("▁the").orElseThrow()))
                .isInstanceOf(IllegalArgumentException.class);
        constraint.accept(tokenizer.eosToken());
    }

    @Test
    void theEndTokenIsMaskedWhileTheDocumentIsOpen() {
        JsonConstraint constraint = after(JsonSchema.anyObject(), "{");
        float[] logits = zeros();
        constraint.mask(logits);
        assertThat(logits[tokenizer.eosToken()]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(logits[tokenizer.findToken("}").orElseThrow()]).isZero();
    }

    /** Random logits, so the walk goes wherever the mask lets it; the budget still closes every document. */
    @Test
    void randomSamplingWithinABudgetAlwaysWritesAWholeDocument() throws IOException {
        Map<?, ?> schema = JSON.readValue("""
                {"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"},
                 "units":{"enum":["celsius","fahrenheit"]}},"required":["city","units"]}""", Map.class);
        JsonSchema weather = JsonSchema.compile(schema, true);
        for (JsonSchema compiled : new JsonSchema[] {JsonSchema.anyObject(), weather}) {
            for (long seed = 1; seed <= 6; seed++) {
                int budget = 30;
                JsonConstraint constraint = new JsonConstraint(compiled, tokenizer, budget);
                Sampler sampler = new Sampler(SamplerConfig.defaults().withTopK(0).withMinP(0).withTopP(1)
                        .withTemperature(1).withSeed(seed), tokenizer.vocabularySize(), constraint);
                SplittableRandom random = new SplittableRandom(seed);
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                boolean ended = false;
                for (int i = 0; i < budget && !ended; i++) {
                    float[] logits = new float[tokenizer.vocabularySize()];
                    for (int t = 0; t < logits.length; t++) {
                        logits[t] = (float) random.nextGaussian() * 3;
                    }
                    int token = sampler.sample(logits);
                    sampler.accept(token);
                    ended = tokenizer.isEndOfGeneration(token);
                    text.writeBytes(tokenizer.tokenBytes(token));
                }
                assertThat(ended).as("seed %d: %s", seed, text).isTrue();
                JsonNode parsed = JSON.readTree(text.toByteArray());
                assertThat(parsed.isObject()).isTrue();
                if (compiled == weather) {
                    assertThat(parsed.get("city").isTextual()).isTrue();
                    assertThat(parsed.get("units").asText()).isIn("celsius", "fahrenheit");
                }
            }
        }
    }

    @Test
    void promptTokensAcceptedBeforeTheFirstSampleDoNotAdvanceTheConstraint() {
        JsonConstraint constraint = new JsonConstraint(JsonSchema.anyObject(), tokenizer, Integer.MAX_VALUE);
        Sampler sampler = new Sampler(SamplerConfig.greedy(), tokenizer.vocabularySize(), constraint);
        for (int token : tokenizer.encode("Answer in JSON.")) {
            sampler.accept(token);
        }
        float[] logits = zeros();
        logits[tokenizer.findToken("{").orElseThrow()] = 1f;
        int token = sampler.sample(logits);
        sampler.accept(token);
        assertThat(tokenizer.tokenText(token)).isEqualTo("{");
        assertThat(constraint.isComplete()).isFalse();
    }
}
