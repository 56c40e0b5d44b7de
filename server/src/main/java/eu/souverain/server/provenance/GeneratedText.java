package eu.souverain.server.provenance;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The exact text a statement's SHA-256 covers for one choice: its content, or for an answer made
 * of function calls, each call's name and arguments on two lines. Both the server (from what it
 * generated) and a verifier (from the saved response) derive it here, so they cannot disagree.
 */
public final class GeneratedText {

    private GeneratedText() {}

    /** A function call as the text covers it. */
    public record Call(String name, String arguments) {}

    public static String of(String content, List<Call> calls) {
        if (calls == null || calls.isEmpty()) {
            return content == null ? "" : content;
        }
        StringBuilder text = new StringBuilder();
        for (Call call : calls) {
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(call.name()).append('\n').append(call.arguments());
        }
        return text.toString();
    }

    /** The text of a saved response's choice: a chat message's content or calls, or a completion's text. */
    public static String ofChoice(JsonNode choice) {
        JsonNode message = choice.has("message") ? choice.get("message") : choice;
        JsonNode calls = message.get("tool_calls");
        if (calls != null && calls.isArray() && !calls.isEmpty()) {
            List<Call> parsed = new ArrayList<>();
            for (JsonNode call : calls) {
                parsed.add(new Call(call.path("function").path("name").asText(),
                        call.path("function").path("arguments").asText()));
            }
            return of(null, parsed);
        }
        JsonNode content = message.has("content") ? message.get("content") : message.get("text");
        return content == null || content.isNull() ? "" : content.asText();
    }
}
