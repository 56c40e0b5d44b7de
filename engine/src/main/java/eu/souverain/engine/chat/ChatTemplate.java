package eu.souverain.engine.chat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's chat template: turns a conversation into the prompt text the model was trained on,
 * rendering the Jinja source from the GGUF file byte for byte as Python's jinja2 does.
 */
public final class ChatTemplate {

    private static final Logger LOG = LoggerFactory.getLogger(ChatTemplate.class);

    /** Values compared by templates ({@code role == "user"}, {@code block.type == "text"}), so never fenced while plain words. */
    private static final List<String> STRUCTURAL_KEYS = List.of("role", "type");
    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_-]+");

    /** Our own templates for GGUF files without tokenizer.chat_template. */
    public enum Builtin {
        /** Mistral v3: {@code [INST] user[/INST] assistant</s>}, the system prompt before the last user message. */
        MISTRAL("mistral.jinja"),
        /** Llama 3: {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>}. */
        LLAMA3("llama3.jinja"),
        /** ChatML: {@code <|im_start|>role\ncontent<|im_end|>\n}. */
        CHATML("chatml.jinja");

        private final String resource;

        Builtin(String resource) {
            this.resource = resource;
        }

        String source() {
            try (InputStream in = ChatTemplate.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("missing builtin chat template resource " + resource);
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read builtin chat template " + resource, e);
            }
        }
    }

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Clock clock;

    private ChatTemplate(String source, String bosToken, String eosToken, Clock clock) {
        this.source = source;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.clock = clock;
    }

    /** A template from its Jinja source; its syntax is checked now. Null tokens render as empty text. */
    public static ChatTemplate of(String jinjaSource, String bosToken, String eosToken) {
        if (jinjaSource == null || jinjaSource.isBlank()) {
            throw new ChatTemplateException("chat template source is empty");
        }
        String source = JinjaEnvironment.prepare(jinjaSource);
        JinjaEnvironment.checkSyntax(source);
        return new ChatTemplate(source, bosToken == null ? "" : bosToken, eosToken == null ? "" : eosToken,
                Clock.systemDefaultZone());
    }

    public static ChatTemplate builtin(Builtin which, String bosToken, String eosToken) {
        return of(which.source(), bosToken, eosToken);
    }

    /**
     * The template from the GGUF (tokenizer.chat_template) when present, else the builtin matching
     * the vocabulary: LLAMA3 if it has {@code <|start_header_id|>}, CHATML if it has
     * {@code <|im_start|>}, else MISTRAL.
     */
    public static ChatTemplate forModel(String jinjaSourceOrNull, Predicate<String> hasToken, String bosToken, String eosToken) {
        if (jinjaSourceOrNull != null && !jinjaSourceOrNull.isBlank()) {
            return of(jinjaSourceOrNull, bosToken, eosToken);
        }
        Builtin builtin = hasToken.test("<|start_header_id|>") ? Builtin.LLAMA3
                : hasToken.test("<|im_start|>") ? Builtin.CHATML
                : Builtin.MISTRAL;
        return builtin(builtin, bosToken, eosToken);
    }

    /** The same template with strftime_now reading the given clock. */
    public ChatTemplate withClock(Clock clock) {
        if (clock == null) {
            throw new IllegalArgumentException("clock must not be null");
        }
        return new ChatTemplate(source, bosToken, eosToken, clock);
    }

    /**
     * The prompt text for a conversation. {@code messages}: role/content/(tool_calls, tool_call_id,
     * name) maps as the OpenAI/Mistral wire JSON decodes into Java maps and lists; {@code tools}:
     * the wire "tools" array, or null or empty for none.
     */
    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        return JinjaEnvironment.render(source, variables(messages, tools, addGenerationPrompt, null), clock, null);
    }

    /**
     * The same prompt as {@link #render}, cut into what the template wrote (trusted) and what came
     * from the conversation (untrusted). The conversation's strings are fenced with private-use
     * characters during a second render; the fences are where the parts meet. Role and type values
     * are left unfenced because templates compare them, and only while they are plain words.
     * Should the template transform fenced text so that the fences no longer prove where it is,
     * the whole prompt is returned as one untrusted part rather than trusting any of it.
     */
    public List<PromptPart> renderParts(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        String plain = render(messages, tools, addGenerationPrompt);
        List<String> texts = new ArrayList<>(List.of(source, bosToken, eosToken));
        collectStrings(messages, texts);
        collectStrings(tools, texts);
        UntrustedMarks marks = UntrustedMarks.absentFrom(texts);
        List<PromptPart> parts;
        try {
            String fenced = JinjaEnvironment.render(source, variables(messages, tools, addGenerationPrompt, marks), clock, marks);
            parts = split(fenced, marks);
        } catch (ChatTemplateException e) {
            parts = null;
        }
        if (parts == null || !plain.equals(concatenate(parts))) {
            LOG.warn("chat template transforms conversation text in a way that hides where it is; the whole prompt is treated as untrusted text");
            return plain.isEmpty() ? List.of() : List.of(new PromptPart(plain, false));
        }
        return parts;
    }

    private Map<String, Object> variables(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                                          boolean addGenerationPrompt, UntrustedMarks marks) {
        if (messages == null) {
            throw new IllegalArgumentException("messages must not be null");
        }
        Map<String, Object> variables = new HashMap<>();
        variables.put("messages", copy(messages, marks, false));
        if (tools != null && !tools.isEmpty()) {
            variables.put("tools", copy(tools, marks, false));
        }
        variables.put("bos_token", bosToken);
        variables.put("eos_token", eosToken);
        variables.put("add_generation_prompt", addGenerationPrompt);
        return variables;
    }

    /**
     * A deep copy, so that templates calling append or update never touch the caller's data, with
     * every string fenced when {@code marks} is given.
     */
    private static Object copy(Object value, UntrustedMarks marks, boolean structural) {
        return switch (value) {
            case String s when marks != null && !(structural && PLAIN_WORD.matcher(s).matches()) -> marks.wrap(s);
            case Map<?, ?> map -> {
                Map<String, Object> copied = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    String key = String.valueOf(e.getKey());
                    copied.put(key, copy(e.getValue(), marks, STRUCTURAL_KEYS.contains(key)));
                }
                yield copied;
            }
            case Iterable<?> items -> {
                List<Object> copied = new ArrayList<>();
                for (Object item : items) {
                    copied.add(copy(item, marks, false));
                }
                yield copied;
            }
            case null, default -> value;
        };
    }

    private static void collectStrings(Object value, List<String> into) {
        switch (value) {
            case String s -> into.add(s);
            case Map<?, ?> map -> map.forEach((k, v) -> {
                into.add(String.valueOf(k));
                collectStrings(v, into);
            });
            case Iterable<?> items -> items.forEach(item -> collectStrings(item, into));
            case null, default -> {}
        }
    }

    /** Cuts fenced output into parts, merging neighbours of the same kind; null if the fences do not pair up. */
    private static List<PromptPart> split(String fenced, UntrustedMarks marks) {
        List<PromptPart> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < fenced.length(); i++) {
            char c = fenced.charAt(i);
            if (c == marks.open() || c == marks.close()) {
                if ((c == marks.open()) == inside) {
                    return null;
                }
                append(parts, current.toString(), !inside);
                current.setLength(0);
                inside = !inside;
            } else {
                current.append(c);
            }
        }
        if (inside) {
            return null;
        }
        append(parts, current.toString(), true);
        return parts;
    }

    private static void append(List<PromptPart> parts, String text, boolean trusted) {
        if (text.isEmpty()) {
            return;
        }
        if (!parts.isEmpty() && parts.getLast().trusted() == trusted) {
            parts.set(parts.size() - 1, new PromptPart(parts.getLast().text() + text, trusted));
        } else {
            parts.add(new PromptPart(text, trusted));
        }
    }

    private static String concatenate(List<PromptPart> parts) {
        StringBuilder text = new StringBuilder();
        parts.forEach(part -> text.append(part.text()));
        return text.toString();
    }
}
