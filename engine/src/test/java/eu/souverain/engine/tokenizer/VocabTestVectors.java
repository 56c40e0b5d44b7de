package eu.souverain.engine.tokenizer;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.gguf.GGUFFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's tokenizer test data in shared/models/tokenizers: NAME.gguf.inp holds the texts, each
 * followed by a line {@code __ggml_vocab_test__}; NAME.gguf.out holds one line of ids per text.
 */
record VocabTestVectors(List<String> texts, List<int[]> ids) {

    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    static VocabTestVectors load(String name) {
        try {
            String input = Files.readString(TestFiles.shared("models/tokenizers/" + name + ".gguf.inp"));
            if (!input.endsWith(SEPARATOR)) {
                throw new IllegalStateException(name + ".gguf.inp does not end with the separator line");
            }
            List<String> texts = new ArrayList<>();
            for (int from = 0; from < input.length(); ) {
                int end = input.indexOf(SEPARATOR, from);
                texts.add(input.substring(from, end));
                from = end + SEPARATOR.length();
            }
            List<int[]> ids = new ArrayList<>();
            for (String line : Files.readAllLines(TestFiles.shared("models/tokenizers/" + name + ".gguf.out"))) {
                ids.add(Arrays.stream(line.trim().split(" +")).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray());
            }
            if (ids.size() != texts.size()) {
                throw new IllegalStateException(name + ": " + texts.size() + " texts but " + ids.size() + " id lines");
            }
            return new VocabTestVectors(texts, ids);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Tokenizer tokenizer(String name) {
        return tokenizerOf("models/tokenizers/" + name + ".gguf");
    }

    static Tokenizer tokenizerOf(String sharedPath) {
        try (GGUFFile file = GGUFFile.open(TestFiles.shared(sharedPath))) {
            return Tokenizer.fromMetadata(file.metadata());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
