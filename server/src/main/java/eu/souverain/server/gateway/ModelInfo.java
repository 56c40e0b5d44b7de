package eu.souverain.server.gateway;

/** A model a backend serves: the name requests ask for, when it was loaded (epoch seconds), its context length. */
public record ModelInfo(String id, long created, int contextLength) {}
