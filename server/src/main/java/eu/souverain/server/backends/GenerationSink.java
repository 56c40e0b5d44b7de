package eu.souverain.server.backends;

import eu.souverain.engine.model.FinishReason;
import eu.souverain.engine.prompt.ToolCall;
import java.io.IOException;
import java.util.List;

/**
 * Where a generation's output goes, piece by piece, on the thread that drains it. An
 * IOException (the client went away) cancels the generation.
 */
public interface GenerationSink {

    /** The next piece of choice {@code choice}'s answer. */
    void text(int choice, String text) throws IOException;

    /** Choice {@code choice}'s answer is these function calls rather than text; comes before its finish. */
    void toolCalls(int choice, List<ToolCall> calls) throws IOException;

    /** Choice {@code choice} is complete. */
    void finished(int choice, FinishReason finish) throws IOException;
}
