package eu.souverain.engine.prompt;

import eu.souverain.engine.chat.ChatTemplate;
import eu.souverain.engine.chat.ChatTemplateException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tools in a prompt whose chat template may or may not know about them. */
public final class ToolPrompts {

    private ToolPrompts() {
    }

    /** Whether the template writes the tools into the prompt (and renders these messages with them). */
    public static boolean mentionsTools(ChatTemplate template, List<Map<String, Object>> messages,
                                 List<Map<String, Object>> tools) {
        try {
            return !template.render(messages, tools, true).equals(template.render(messages, null, true));
        } catch (ChatTemplateException e) {
            return false;
        }
    }

    /**
     * The conversation for a template that knows nothing of tools: the tools described in the
     * system prompt, earlier calls written as the model writes them, their results as user
     * messages, and neighbours of the same role joined so that roles still alternate.
     */
    public static List<Map<String, Object>> describeTools(List<Map<String, Object>> messages,
                                                   List<Map<String, Object>> tools, ToolCallFormat format) {
        List<Map<String, Object>> plain = new ArrayList<>();
        String instructions = format.instructions(tools);
        for (Map<String, Object> message : messages) {
            String role = (String) message.get("role");
            String content = (String) message.get("content");
            if (role.equals("assistant") && message.get("tool_calls") instanceof List<?> calls && !calls.isEmpty()) {
                content = (content.isBlank() ? "" : content + "\n") + format.write(calls);
            } else if (role.equals("tool")) {
                Object name = message.get("name");
                Object id = message.get("tool_call_id");
                content = "Result of " + (name != null ? "function " + name : "the call")
                        + (id != null ? " (call " + id + ")" : "") + ":\n" + content;
                role = "user";
            }
            if (role.equals("system") && plain.isEmpty()) {
                content = instructions + "\n\n" + content;
            }
            if (!plain.isEmpty() && plain.getLast().get("role").equals(role)) {
                plain.getLast().put("content", plain.getLast().get("content") + "\n\n" + content);
            } else {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("role", role);
                entry.put("content", content);
                plain.add(entry);
            }
        }
        if (!plain.getFirst().get("role").equals("system")) {
            Map<String, Object> system = new LinkedHashMap<>();
            system.put("role", "system");
            system.put("content", instructions);
            plain.addFirst(system);
        }
        return plain;
    }
}
