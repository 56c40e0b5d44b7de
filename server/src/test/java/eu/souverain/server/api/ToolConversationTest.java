package eu.souverain.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.chat.ChatTemplate;
import eu.souverain.server.backends.ChatRequest;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** A conversation with calls and results, as the API reads it, rendered by real templates that know tools. */
class ToolConversationTest {

    private static final String BODY = "{\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
            + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"abcDEF123\",\"type\":\"function\","
            + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
            + "{\"role\":\"tool\",\"tool_call_id\":\"abcDEF123\",\"name\":\"get_weather\",\"content\":\"21 degrees\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"The weather\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}]}";

    private static String render(String template, String bos, String eos) throws IOException {
        ChatRequest request = ChatCompletionRequests.parse(TestServer.parse(BODY), "m", () -> 1L).request();
        ChatRequest.Conversation conversation = (ChatRequest.Conversation) request.prompt();
        return ChatTemplate.of(Files.readString(TestFiles.shared("models/templates/" + template + ".jinja")), bos, eos)
                .render(conversation.messages(), request.tools().definitions(), true);
    }

    @Test
    void mistralNemoWritesToolsCallsAndResults() throws IOException {
        String prompt = render("mistralai-Mistral-Nemo-Instruct-2407", "<s>", "</s>");
        assertThat(prompt).contains("[AVAILABLE_TOOLS]", "\"get_weather\"", "[TOOL_CALLS]", "\"city\": \"Paris\"",
                "[TOOL_RESULTS]", "abcDEF123", "21 degrees");
    }

    @Test
    void llama31AndQwenWriteThemToo() throws IOException {
        assertThat(render("meta-llama-Llama-3.1-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>"))
                .contains("get_weather", "\"city\": \"Paris\"", "ipython", "21 degrees");
        assertThat(render("Qwen-Qwen2.5-7B-Instruct", "", "<|im_end|>"))
                .contains("<tools>", "<tool_call>", "\"city\": \"Paris\"", "<tool_response>", "21 degrees");
    }
}
