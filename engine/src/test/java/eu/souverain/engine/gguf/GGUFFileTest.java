package eu.souverain.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GGUFFileTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Path STORIES = TestFiles.shared("models/stories260K.gguf");

    @Test
    void readsHeaderAndMetadataOfStories260K() throws IOException {
        try (GGUFFile file = GGUFFile.open(STORIES)) {
            assertThat(file.version()).isEqualTo(3);
            assertThat(file.alignment()).isEqualTo(32);
            assertThat(file.fileSize()).isEqualTo(1_185_376);
            // The tensor infos end at 14152 (found by reading the file with a separate script); 14176 is the next multiple of 32.
            assertThat(file.dataOffset()).isEqualTo(14_176);

            Metadata metadata = file.metadata();
            assertThat(metadata.keys()).hasSize(19).startsWith("tokenizer.ggml.tokens", "tokenizer.ggml.scores");
            assertThat(metadata.getString("general.architecture")).isEqualTo("llama");
            assertThat(metadata.getInt("llama.block_count")).isEqualTo(5);
            assertThat(metadata.getInt("llama.embedding_length")).isEqualTo(64);
            assertThat(metadata.getInt("llama.attention.head_count_kv")).isEqualTo(4);
            assertThat(metadata.type("llama.context_length")).isEqualTo(ValueType.UINT32);
            assertThat(metadata.getFloat("llama.attention.layer_norm_rms_epsilon")).isCloseTo(1e-5f, within(1e-9f));

            String[] tokens = metadata.getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(512).startsWith("<unk>", "<s>", "</s>");
            assertThat(metadata.getFloatArray("tokenizer.ggml.scores")).hasSize(512);
            assertThat(metadata.getIntArray("tokenizer.ggml.token_type")).hasSize(512).startsWith(2, 3, 3);

            // Unset token ids are stored as UINT32 0xFFFFFFFF, which no int can hold.
            assertThat(metadata.getLong("tokenizer.ggml.padding_token_id")).isEqualTo(4_294_967_295L);
            assertThatThrownBy(() -> metadata.getInt("tokenizer.ggml.padding_token_id"))
                    .isInstanceOf(GGUFFormatException.class)
                    .hasMessageContaining("does not fit in an int");
        }
    }

    @Test
    void readsTensorsOfStories260K() throws IOException {
        try (GGUFFile file = GGUFFile.open(STORIES)) {
            assertThat(file.tensors()).hasSize(3 + 5 * 9);
            assertThat(file.tensors()).allSatisfy(tensor -> {
                assertThat(tensor.type()).isEqualTo(GGMLType.F32);
                assertThat(tensor.byteSize()).isEqualTo(4 * tensor.elementCount());
                assertThat(tensor.offset() % 32).isZero();
                assertThat(file.dataOffset() + tensor.offset() + tensor.byteSize()).isLessThanOrEqualTo(file.fileSize());
                assertThat(file.data(tensor).byteSize()).isEqualTo(tensor.byteSize());
            });

            TensorInfo embedding = file.tensor("token_embd.weight");
            assertThat(embedding.shape()).containsExactly(64, 512);
            assertThat(embedding.columns()).isEqualTo(64);
            assertThat(embedding.rows()).isEqualTo(512);
            assertThat(embedding.offset()).isZero();
            assertThat(file.tensor("output_norm.weight").shape()).containsExactly(64);
            assertThat(file.tensor("output_norm.weight").rows()).isEqualTo(1);
            assertThat(file.tensor("blk.0.attn_k.weight").shape()).containsExactly(64, 32);
            assertThat(file.tensor("blk.4.ffn_down.weight").shape()).containsExactly(172, 64);
            assertThat(file.tensors().getLast().name()).isEqualTo("blk.4.ffn_norm.weight");
            assertThat(file.findTensor("blk.5.attn_q.weight")).isEmpty();
            assertThatThrownBy(() -> file.tensor("missing.weight"))
                    .isInstanceOf(GGUFFormatException.class)
                    .hasMessageContaining("tensor 'missing.weight' not found in " + STORIES);
        }
    }

    @Test
    void tensorDataIsTheFileBytes() throws IOException {
        float firstEmbedding;
        float lastNorm;
        try (RandomAccessFile raw = new RandomAccessFile(STORIES.toFile(), "r")) {
            firstEmbedding = readFloat(raw, 14_176);
            lastNorm = readFloat(raw, raw.length() - 4);
        }
        try (GGUFFile file = GGUFFile.open(STORIES)) {
            MemorySegment embedding = file.data(file.tensor("token_embd.weight"));
            MemorySegment norm = file.data(file.tensor("blk.4.ffn_norm.weight"));
            assertThat(embedding.get(F32, 0)).isEqualTo(firstEmbedding).isNotZero();
            assertThat(norm.get(F32, norm.byteSize() - 4)).isEqualTo(lastNorm).isNotZero();
            assertThat(embedding.isReadOnly()).isTrue();
        }
    }

    @Test
    void readsTheTokenizerOnlyFiles() throws IOException {
        try (GGUFFile file = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-llama-spm.gguf"))) {
            assertThat(file.tensors()).isEmpty();
            assertThat(file.metadata().getStringArray("tokenizer.ggml.tokens")).hasSize(32_000);
            assertThat(file.metadata().getBool("tokenizer.ggml.add_bos_token", false)).isTrue();
            assertThat(file.metadata().getBool("tokenizer.ggml.add_eos_token", true)).isFalse();
        }
        try (GGUFFile file = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-gpt-2.gguf"))) {
            assertThat(file.metadata().getStringArray("tokenizer.ggml.merges")).hasSize(50_000).startsWith("Ġ t");
        }
        try (GGUFFile file = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-phi-3.gguf"))) {
            assertThat(file.metadata().getString("tokenizer.chat_template")).startsWith("{{ bos_token }}");
            assertThat(file.metadata().getFloatArray("tokenizer.ggml.scores")).hasSize(32_064);
        }
        try (GGUFFile file = GGUFFile.open(TestFiles.shared("models/tokenizers/ggml-vocab-bert-bge.gguf"))) {
            assertThat(file.metadata().getBool("bert.attention.causal", true)).isFalse();
        }
    }

    @Test
    void readsTensorsBeyond2GiB(@TempDir Path dir) throws IOException {
        // A sparse file: the 3 GiB gap takes no disk space.
        long far = 3L << 30;
        RawGGUF header = RawGGUF.header(3, 2, 0)
                .tensor("near", GGMLType.F32, 0, 8)
                .tensor("far", GGMLType.F32, far, 8)
                .padTo(32);
        long dataOffset = header.size();
        ByteBuffer floats = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 8; i++) {
            floats.putFloat(i + 0.5f);
        }
        Path path = dir.resolve("sparse.gguf");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(header.bytes()), 0);
            channel.write(floats.flip(), dataOffset + far);
        }
        try (GGUFFile file = GGUFFile.open(path)) {
            assertThat(file.fileSize()).isEqualTo(dataOffset + far + 32).isGreaterThan(Integer.MAX_VALUE);
            MemorySegment data = file.data(file.tensor("far"));
            assertThat(data.byteSize()).isEqualTo(32);
            assertThat(data.get(F32, 0)).isEqualTo(0.5f);
            assertThat(data.get(F32, 28)).isEqualTo(7.5f);
        }
    }

    @Test
    void dataRefusesATensorOfAnotherFile() throws IOException {
        try (GGUFFile file = GGUFFile.open(STORIES)) {
            TensorInfo stranger = new TensorInfo("token_embd.weight", new long[] {64, 512}, GGMLType.F32, 32, 131_072);
            assertThatThrownBy(() -> file.data(stranger)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void closeUnmapsAndMayBeRepeated() throws IOException {
        GGUFFile file = GGUFFile.open(STORIES);
        MemorySegment embedding = file.data(file.tensor("token_embd.weight"));
        file.close();
        file.close();
        assertThat(embedding.scope().isAlive()).isFalse();
    }

    private static float readFloat(RandomAccessFile raw, long offset) throws IOException {
        raw.seek(offset);
        return Float.intBitsToFloat(Integer.reverseBytes(raw.readInt()));
    }
}
