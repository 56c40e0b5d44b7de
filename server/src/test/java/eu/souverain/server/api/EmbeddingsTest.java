package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** POST /v1/embeddings on a real loopback server with the bundled model (width 64). */
class EmbeddingsTest {

    private static TestServer server;
    private static int width;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.bundled();
        width = server.backend.models().getFirst().embeddingLength();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static TestServer.Reply embed(String json) {
        return server.send(HttpRequest.newBuilder(server.uri("/v1/embeddings"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    @Test
    void answersOneUnitVectorPerInputInOrder() {
        TestServer.Reply reply = embed("{\"model\":\"stories260K\",\"input\":[\"Once upon a time\",\"The dog ran.\"]}");
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        JsonNode body = reply.body();
        assertThat(body.get("object").asText()).isEqualTo("list");
        assertThat(body.get("model").asText()).isEqualTo("stories260K");
        JsonNode data = body.get("data");
        assertThat(data).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(data.get(i).get("object").asText()).isEqualTo("embedding");
            assertThat(data.get(i).get("index").asInt()).isEqualTo(i);
            assertThat(data.get(i).get("embedding")).hasSize(width);
            assertThat(length(vector(data.get(i)))).isCloseTo(1.0, Offset.offset(1e-5));
        }
        assertThat(vector(data.get(0))).isNotEqualTo(vector(data.get(1)));
        int tokens = body.get("usage").get("prompt_tokens").asInt();
        assertThat(tokens).isGreaterThan(4);
        assertThat(body.get("usage").get("total_tokens").asInt()).isEqualTo(tokens);
    }

    @Test
    void theSameInputGivesTheSameVectorEvenAfterAChat() {
        float[] first = vector(embed("{\"input\":\"Lily liked the park.\"}").body().get("data").get(0));
        TestServer.Reply chat = server.post("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4}");
        assertThat(chat.status()).isEqualTo(200);
        float[] again = vector(embed("{\"input\":[\"Lily liked the park.\"]}").body().get("data").get(0));
        assertThat(again).containsExactly(first);
    }

    @Test
    void base64IsTheLittleEndianFloat32BytesOfTheSameVector() {
        String input = "{\"input\":\"Tom had a red ball.\",\"user\":\"u1\",\"output_dtype\":\"float\",";
        float[] floats = vector(embed(input + "\"encoding_format\":\"float\"}").body().get("data").get(0));
        TestServer.Reply reply = embed(input + "\"encoding_format\":\"base64\",\"dimensions\":" + width + "}");
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(200);
        byte[] bytes = Base64.getDecoder().decode(reply.body().get("data").get(0).get("embedding").asText());
        assertThat(bytes).hasSize(width * Float.BYTES);
        float[] decoded = new float[width];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(decoded);
        assertThat(decoded).containsExactly(floats);
    }

    @Test
    void refusals() {
        error(embed("{\"input\":\"\"}"), 400, "input", "must not be empty");
        error(embed("{\"input\":[]}"), 400, "input", "empty array");
        error(embed("{\"input\":[\"a\",\"\"]}"), 400, "input[1]", "must not be empty");
        error(embed("{\"input\":[1,2,3]}"), 400, "input", "token ids is not supported yet");
        error(embed("{\"input\":[[1,2]]}"), 400, "input", "token ids is not supported yet");
        error(embed("{}"), 422, "input", "required");
        error(embed("{\"input\":7}"), 422, "input", "a string or an array of strings");
        error(embed("{\"input\":\"a\",\"dimension\":64}"), 422, "dimension", "unknown field 'dimension'");
        error(embed("{\"input\":\"a\",\"dimensions\":32}"), 400, "dimensions", "embeds into " + width);
        error(embed("{\"input\":\"a\",\"output_dimension\":32}"), 400, "output_dimension", "embeds into " + width);
        error(embed("{\"input\":\"a\",\"output_dtype\":\"int8\"}"), 400, "output_dtype", "'int8'");
        error(embed("{\"input\":\"a\",\"encoding_format\":\"hex\"}"), 400, "encoding_format", "'hex'");
        error(embed("{\"input\":\"a\",\"model\":\"gpt-9\"}"), 404, "model", "'gpt-9'");
        int context = server.backend.models().getFirst().contextLength();
        String message = error(embed("{\"input\":[\"short\",\"" + "Once upon a time there was a cat. ".repeat(context / 4)
                + "\"]}"), 400, "input", "context");
        assertThat(message).contains("input 1 has ").contains("holds " + context + " tokens");
    }

    private static String error(TestServer.Reply reply, int status, String param, String text) {
        assertThat(reply.status()).as(reply.raw().body()).isEqualTo(status);
        assertThat(reply.body().get("param").asText()).isEqualTo(param);
        String message = reply.body().get("error").get("message").asText();
        assertThat(message).contains(text);
        return message;
    }

    private static float[] vector(JsonNode entry) {
        JsonNode values = entry.get("embedding");
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) values.get(i).asDouble();
        }
        return v;
    }

    private static double length(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }
}
