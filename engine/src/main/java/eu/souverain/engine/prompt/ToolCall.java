package eu.souverain.engine.prompt;

/** A function call the model made: {@code arguments} is a JSON object as text, as both APIs send it. */
public record ToolCall(String id, String name, String arguments) {}
