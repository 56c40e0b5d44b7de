package eu.souverain.server.cli;

import eu.souverain.engine.chat.ChatTemplate;
import eu.souverain.engine.model.Generator;
import eu.souverain.engine.model.InferenceState;
import eu.souverain.engine.model.LlamaModel;
import eu.souverain.engine.prompt.PromptTokens;
import eu.souverain.engine.sample.Sampler;
import eu.souverain.engine.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * An interactive chat in the terminal through the model's chat template. Each turn re-renders
 * the whole conversation, and the inference state reuses every token it already ran, so only
 * the new turn is computed. Reads plain lines when stdin is not a terminal.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model in the terminal. /reset starts over, /exit (or Ctrl-D) leaves.")
final class ChatCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--system", paramLabel = "TEXT", description = "A system prompt for the conversation.")
    String system;

    /** Where the user's lines come from: JLine on a terminal, plain lines otherwise. */
    private interface Input extends AutoCloseable {
        /** The next line, or null at the end of input. */
        String readLine();

        PrintWriter writer();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        try (LlamaModel model = modelOptions.load();
             InferenceState state = model.newState(modelOptions.threads());
             Input input = System.console() != null ? terminalInput() : plainInput()) {
            Tokenizer tokenizer = model.tokenizer();
            ChatTemplate template = model.chatTemplate();
            Generator generator = new Generator(model, state);
            PrintWriter out = input.writer();
            List<Map<String, Object>> messages = new ArrayList<>();
            startConversation(messages);
            String line;
            while ((line = input.readLine()) != null) {
                String text = line.strip();
                if (text.isEmpty()) {
                    continue;
                }
                if (text.equals("/exit") || text.equals("/bye")) {
                    break;
                }
                if (text.equals("/reset")) {
                    startConversation(messages);
                    out.println("(conversation reset)");
                    out.flush();
                    continue;
                }
                messages.add(Map.of("role", "user", "content", line));
                int[] prompt = PromptTokens.chat(tokenizer, template.renderParts(messages, null, true));
                if (prompt.length >= state.capacity()) {
                    messages.removeLast();
                    err.println("error: the conversation (" + prompt.length + " tokens) no longer fits the context of "
                            + state.capacity() + " tokens; /reset to start over");
                    continue;
                }
                StringBuilder answer = new StringBuilder();
                Sampler sampler = new Sampler(sampling.config(), model.config().vocabularySize());
                Generator.Result result = generator.generate(prompt, sampler, sampling.maxTokens, sampling.stops,
                        piece -> {
                            answer.append(piece);
                            out.print(piece);
                            out.flush();
                        });
                out.println();
                out.flush();
                err.println(Statistics.line(result));
                messages.add(Map.of("role", "assistant", "content", answer.toString().strip()));
            }
        }
        return 0;
    }

    private void startConversation(List<Map<String, Object>> messages) {
        messages.clear();
        if (system != null && !system.isBlank()) {
            messages.add(Map.of("role", "system", "content", system));
        }
    }

    private static Input terminalInput() throws java.io.IOException {
        Terminal terminal = TerminalBuilder.builder().system(true).build();
        LineReader reader = LineReaderBuilder.builder().terminal(terminal).build();
        return new Input() {
            @Override
            public String readLine() {
                while (true) {
                    try {
                        return reader.readLine("> ");
                    } catch (UserInterruptException interrupted) {
                        // Ctrl-C clears the line, as in a shell; Ctrl-D leaves.
                    } catch (EndOfFileException end) {
                        return null;
                    }
                }
            }

            @Override
            public PrintWriter writer() {
                return terminal.writer();
            }

            @Override
            public void close() throws java.io.IOException {
                terminal.close();
            }
        };
    }

    private Input plainInput() {
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = spec.commandLine().getOut();
        return new Input() {
            @Override
            public String readLine() {
                try {
                    return reader.readLine();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }

            @Override
            public PrintWriter writer() {
                return out;
            }

            @Override
            public void close() {}
        };
    }
}
