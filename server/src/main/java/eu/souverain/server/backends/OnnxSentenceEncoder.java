package eu.souverain.server.backends;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * A BERT-style sentence encoder's forward pass on ONNX Runtime: token ids in, one unit-length vector
 * per input out (the mean of the last hidden states over the input's tokens). The only class that
 * touches ONNX Runtime, which is native code; the engine stays pure Java. One input at a time,
 * from one thread: the session's own {@code threads} are all it uses.
 */
final class OnnxSentenceEncoder implements AutoCloseable {

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final boolean takesTokenTypes;

    private OnnxSentenceEncoder(OrtEnvironment environment, OrtSession session) throws OrtException {
        this.environment = environment;
        this.session = session;
        this.takesTokenTypes = session.getInputNames().contains("token_type_ids");
    }

    /** Loads the ONNX model {@code model} (read whole) to run on {@code threads} CPU threads. */
    static OnnxSentenceEncoder load(InputStream model, int threads) throws IOException {
        byte[] bytes = model.readAllBytes();
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            // Idle threads sleep rather than spin: the cores are the chat models' too.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return new OnnxSentenceEncoder(environment, environment.createSession(bytes, options));
        } catch (OrtException e) {
            throw new IOException("ONNX Runtime cannot load the embedding model: " + e.getMessage(), e);
        }
    }

    /** The unit-length vector of one input's tokens. */
    float[] encode(int[] tokens) {
        long[] shape = {1, tokens.length};
        long[] ids = new long[tokens.length];
        long[] mask = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            ids[i] = tokens[i];
            mask[i] = 1;
        }
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape));
            feed.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape));
            if (takesTokenTypes) {
                feed.put("token_type_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[tokens.length]),
                        shape));
            }
            try (OrtSession.Result result = session.run(feed)) {
                return meanOfTokens(((float[][][]) result.get(0).getValue())[0]);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to embed: " + e.getMessage(), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    private static float[] meanOfTokens(float[][] hidden) {
        float[] mean = new float[hidden[0].length];
        for (int t = 0; t < hidden.length; t++) {
            for (int d = 0; d < mean.length; d++) {
                mean[d] += hidden[t][d];
            }
        }
        double norm = 0;
        for (float v : mean) {
            norm += (double) v * v;
        }
        float scale = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        for (int d = 0; d < mean.length; d++) {
            mean[d] *= scale;
        }
        return mean;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed to release the embedding model: " + e.getMessage(), e);
        }
    }
}
