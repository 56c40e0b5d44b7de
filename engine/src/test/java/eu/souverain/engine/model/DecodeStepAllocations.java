package eu.souverain.engine.model;

import com.sun.management.ThreadMXBean;
import eu.souverain.engine.gguf.GGUFFile;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Decode steps of a small Q4_K_M-typed model (Q4_K and Q6_K matrices) on two threads, alone and
 * four sequences at once, repeated until a step allocates nothing on any thread: what a serving
 * engine does millions of times must leave the collector nothing to do. Run by
 * {@link DecodeAllocationTest} in a child JVM; exits with status 3, printing the bytes per step of
 * each kind still allocating, when the deadline comes first.
 *
 * <p>Arguments: the tokenizer source GGUF (for the vocabulary) and the warm-up deadline in seconds.
 */
final class DecodeStepAllocations {

    private static final int SEQUENCES = 4;

    private DecodeStepAllocations() {}

    public static void main(String[] args) throws Exception {
        Path tokenizerSource = Path.of(args[0]);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
        Path file = Files.createTempFile("souverain-allocations", ".gguf");
        int status;
        try {
            // Every dimension a multiple of 256, the K-quants' block.
            SyntheticModel.Shape shape = new SyntheticModel.Shape(256, 2, 4, 2, 64, 512, 512, 10000f, 0, false, false);
            try (GGUFFile tokenizer = GGUFFile.open(tokenizerSource)) {
                SyntheticModel.write(file, "allocations", shape, SyntheticModel.FileType.llamaCpp("Q4_K_M", shape),
                        SyntheticModel.Init.standard(3), tokenizer.metadata());
            }
            try (LlamaModel model = LlamaModel.load(file)) {
                status = run(model, deadline);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        System.exit(status);
    }

    private static int run(LlamaModel model, long deadline) {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        KVBlocks store = new KVBlocks(model.config(), SEQUENCES * 8);
        KVCache[] caches = new KVCache[SEQUENCES];
        for (int s = 0; s < SEQUENCES; s++) {
            caches[s] = new KVCache(store, model.config().contextLength());
            for (int block = 0; block < 8; block++) {
                caches[s].append(s * 8 + block);
            }
        }
        try (InferenceState alone = model.newState(2); Batch batch = model.newBatch(SEQUENCES, SEQUENCES, 2)) {
            long single;
            long batched;
            int position = 0;
            do {
                // Positions wrap well inside the cache, so that the warm-up can last as long as it must.
                int p = position++ % 100;
                long before = threads.getTotalThreadAllocatedBytes();
                model.forward(alone, 5 + p, p);
                long between = threads.getTotalThreadAllocatedBytes();
                batch.clear();
                for (int s = 0; s < SEQUENCES; s++) {
                    batch.add(caches[s], 7 + s + p, p, true);
                }
                model.decode(batch);
                long after = threads.getTotalThreadAllocatedBytes();
                single = between - before;
                batched = after - between;
            } while ((single > 0 || batched > 0) && System.nanoTime() < deadline);
            if (single > 0 || batched > 0) {
                System.err.println("a decode step alone allocates " + single + " bytes, four sequences at once "
                        + batched + " bytes (after " + position + " steps)");
                return 3;
            }
            System.out.println("no allocation after " + position + " steps");
            return 0;
        }
    }
}
