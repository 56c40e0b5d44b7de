package eu.souverain.server.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the generated texts and their statements in what a person saved: a whole API response
 * (chat completion, text completion, stored conversation message), or a text copied with its
 * statement appended ({@link SignedStatement#appendTo}).
 */
public final class SavedAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SavedAnswers() {}

    /** Every text with a statement in {@code saved}; none is an error that says what was looked for. */
    public static List<SignedStatement.Attached> read(String saved) {
        SignedStatement.Attached copied = SignedStatement.detach(saved);
        if (copied != null) {
            return List.of(copied);
        }
        JsonNode json;
        try {
            json = JSON.readTree(saved);
        } catch (JsonProcessingException e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("found no provenance: neither a response with a 'provenance' field nor"
                    + " a text followed by a '-----BEGIN SOUVERAIN PROVENANCE-----' block");
        }
        List<SignedStatement.Attached> found = new ArrayList<>();
        JsonNode choices = json.get("choices");
        if (choices != null && choices.isArray()) {
            for (JsonNode choice : choices) {
                JsonNode statement = choice.get("provenance");
                if (statement == null && choice.path("index").asInt(-1) == 0) {
                    statement = json.get("provenance");
                }
                if (statement != null) {
                    found.add(new SignedStatement.Attached(GeneratedText.ofChoice(choice), SignedStatement.from(statement)));
                }
            }
        } else if (json.has("provenance") && json.has("content")) {
            // A stored conversation's message.
            found.add(new SignedStatement.Attached(json.get("content").asText(), SignedStatement.from(json.get("provenance"))));
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException("the JSON holds no 'provenance' statement (is it a Souverain response?)");
        }
        return found;
    }
}
