package eu.souverain.server.gateway;

/** How busy a model is right now: requests waiting for it, and sequences it is generating. */
public record ModelLoad(int waiting, int running) {}
