package eu.souverain.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.tensor.GGMLType;
import eu.souverain.engine.tensor.Matrix;
import eu.souverain.engine.tensor.Quantizer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A row's result does not depend on the other rows of its pass: what continuous batching needs
 * for a sequence to give the same tokens whatever shares its steps.
 */
class BatchTest {

    private static LlamaModel model;

    @BeforeAll
    static void load() throws IOException {
        model = LlamaModel.load(TestFiles.shared("models/stories260K.gguf"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] prompt(int seed, int length) {
        return IntStream.range(0, length).map(i -> 1 + (i * 37 + seed * 101) % 400).toArray();
    }

    private static KVCache cache(KVBlocks store, int firstBlock, int blocks) {
        KVCache cache = new KVCache(store, model.config().contextLength());
        for (int i = 0; i < blocks; i++) {
            cache.append(firstBlock + i);
        }
        return cache;
    }

    @Test
    void aPromptCutInAnyChunksLeavesBitIdenticalLogits() {
        int[] prompt = prompt(1, 150);
        try (InferenceState whole = model.newState(2)) {
            float[] expected = model.ingest(whole, prompt, 0, prompt.length, 0).clone();
            for (int cut : new int[] {1, 3, 17, 64, 100, 149}) {
                try (InferenceState pieces = model.newState(2)) {
                    model.ingest(pieces, prompt, 0, cut, 0);
                    float[] logits = model.ingest(pieces, prompt, cut, prompt.length, cut);
                    assertThat(logits).as("cut at %d", cut).containsExactly(expected);
                }
            }
        }
    }

    @Test
    void eachRowOfADecodePassIsBitIdenticalToItsStepAlone() {
        int rows = 5;
        KVBlocks store = new KVBlocks(model.config(), rows * 8);
        int vocabulary = model.config().vocabularySize();
        float[][] alone = new float[rows][];
        KVCache[] caches = new KVCache[rows];
        try (Batch batch = model.newBatch(64, rows, 2)) {
            for (int r = 0; r < rows; r++) {
                int[] prompt = prompt(r, 10 + 13 * r);
                caches[r] = cache(store, r * 8, 8);
                batch.clear();
                for (int p = 0; p < prompt.length; p++) {
                    batch.add(caches[r], prompt[p], p, false);
                }
                model.prefill(batch);
                batch.clear();
                batch.add(caches[r], 7 + r, prompt.length, true);
                model.decode(batch);
                alone[r] = new float[vocabulary];
                batch.logits(0, alone[r]);
            }
            // The same steps again, all in one pass: each row rewrites its own position.
            batch.clear();
            for (int r = rows - 1; r >= 0; r--) {
                batch.add(caches[r], 7 + r, 10 + 13 * r, true);
            }
            model.decode(batch);
            for (int r = 0; r < rows; r++) {
                float[] together = new float[vocabulary];
                batch.logits(rows - 1 - r, together);
                assertThat(together).as("row %d", r).containsExactly(alone[r]);
            }
        }
    }

    @Test
    void productsGroupedInOneDispatchEqualEachProductAlone() {
        int cols = 64;
        // Row counts whose chunks (multiples of 16) straddle the matrices' boundaries.
        int[] rows = {40, 72, 32};
        Random random = new Random(5);
        Matrix[] ws = new Matrix[rows.length];
        for (int i = 0; i < rows.length; i++) {
            float[] values = new float[rows[i] * cols];
            for (int j = 0; j < values.length; j++) {
                values[j] = (float) random.nextGaussian();
            }
            byte[] bytes = Quantizer.quantize(GGMLType.Q8_0, values);
            ws[i] = Matrix.of(GGMLType.Q8_0,
                    MemorySegment.ofArray(bytes), rows[i], cols);
        }
        int count = 3;
        float[] in = new float[count * cols];
        for (int j = 0; j < in.length; j++) {
            in[j] = (float) random.nextGaussian();
        }
        try (Batch batch = model.newBatch(8, 1, 2)) {
            for (boolean blocked : new boolean[] {false, true}) {
                float[][] grouped = new float[rows.length][];
                float[][] alone = new float[rows.length][];
                for (int i = 0; i < rows.length; i++) {
                    grouped[i] = new float[count * rows[i]];
                    alone[i] = new float[count * rows[i]];
                    batch.matmul(ws[i], in, count, alone[i], blocked);
                }
                batch.matmul(ws, in, count, grouped, blocked);
                for (int i = 0; i < rows.length; i++) {
                    assertThat(grouped[i]).as("matrix %d, blocked %b", i, blocked).containsExactly(alone[i]);
                    assertThat(grouped[i]).as("matrix %d computed", i).isNotEqualTo(new float[count * rows[i]]);
                }
            }
        }
    }
}

