/**
 * The inference engine. Its front door, all the server may use: chat templates and prompts,
 * models, sampling and continuous batching. The file format, tensors and tokenizers behind it
 * stay inside, but for the engine's own tools (bench, inspect, perplexity), which measure them.
 */
module eu.souverain.engine {
    requires jdk.incubator.vector;
    requires jinjava;
    requires org.apache.commons.lang3;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    // The expression resolver jinjava asks for template attributes speaks java.beans.
    requires java.desktop;
    // The kernels' warm-up sees from a thread's allocations when C2 has compiled the vector kernels.
    requires jdk.management;

    exports eu.souverain.engine.chat;
    exports eu.souverain.engine.prompt;
    exports eu.souverain.engine.model;
    exports eu.souverain.engine.sample;
    exports eu.souverain.engine.batch;
    exports eu.souverain.engine.gguf to eu.souverain.tools;
    exports eu.souverain.engine.tensor to eu.souverain.tools;
    exports eu.souverain.engine.tokenizer to eu.souverain.tools;

    // Chat templates call the filters and functions the engine registers by reflection.
    opens eu.souverain.engine.chat to jinjava;
}
