package eu.souverain.server.models;

import java.util.List;
import java.util.Optional;

/**
 * Chat models known to run well, with the quantization to take (Q4_K_M: the usual balance of size
 * and quality) and the memory they need at it: the file, a 4K-token key/value cache and the runtime.
 */
public final class Catalogue {

    /** A catalogue entry: {@code souverain pull NAME} pulls {@code repo:quantization}. */
    public record Model(String name, String description, String repo, String quantization, double fileGib,
                        double memoryGib, String licence) {
    }

    public static final List<Model> MODELS = List.of(
            new Model("mistral-7b-instruct", "Mistral 7B Instruct v0.3", "bartowski/Mistral-7B-Instruct-v0.3-GGUF",
                    "Q4_K_M", 4.1, 5.2, "apache-2.0"),
            new Model("ministral-8b-instruct", "Ministral 8B Instruct 2410", "bartowski/Ministral-8B-Instruct-2410-GGUF",
                    "Q4_K_M", 4.6, 5.8, "mrl"),
            new Model("mistral-nemo-instruct", "Mistral Nemo 12B Instruct 2407",
                    "bartowski/Mistral-Nemo-Instruct-2407-GGUF", "Q4_K_M", 7.0, 8.6, "apache-2.0"),
            new Model("mistral-small-3.1-instruct", "Mistral Small 3.1 24B Instruct 2503",
                    "bartowski/mistralai_Mistral-Small-3.1-24B-Instruct-2503-GGUF", "Q4_K_M", 13.3, 15.4, "apache-2.0"),
            new Model("llama-3.1-8b-instruct", "Llama 3.1 8B Instruct", "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
                    "Q4_K_M", 4.6, 5.7, "llama3.1"));

    private Catalogue() {}

    public static Optional<Model> find(String name) {
        return MODELS.stream().filter(m -> m.name().equals(name)).findFirst();
    }
}
