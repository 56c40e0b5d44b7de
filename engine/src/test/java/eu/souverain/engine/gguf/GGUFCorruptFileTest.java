package eu.souverain.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncated, corrupt and hostile files must all end in a GGUFFormatException that says what is wrong and where. */
class GGUFCorruptFileTest {

    @TempDir
    Path dir;

    @Test
    void acceptsTheHandAssembledBaseline() throws IOException {
        // The other cases change one field of a file like this one, so it must itself be valid.
        byte[] bytes = RawGGUF.header(3, 2, 2)
                .uint32("general.alignment", 32)
                .key("general.architecture", ValueType.STRING).string("llama")
                .tensor("a", GGMLType.F32, 0, 4, 2)
                .tensor("b", GGMLType.Q8_0, 32, 32)
                .padTo(32)
                .zeros(32 + 34)
                .bytes();
        try (GGUFFile file = open(bytes)) {
            assertThat(file.metadata().getString("general.architecture")).isEqualTo("llama");
            assertThat(file.tensors()).extracting(TensorInfo::byteSize).containsExactly(32L, 34L);
        }
    }

    @Test
    void refusesAFileShorterThanAHeader() {
        assertRefused(new byte[0], "file is 0 bytes, shorter than a GGUF header (24 bytes)");
        assertRefused(Arrays.copyOf(RawGGUF.header(3, 0, 0).bytes(), 23), "file is 23 bytes, shorter than a GGUF header");
    }

    @Test
    void refusesABadMagic() {
        byte[] bytes = RawGGUF.header(3, 0, 0).bytes();
        bytes[3] = 'L';
        assertRefused(bytes, "not a GGUF file: magic at offset 0x0 is 0x4747554c");
    }

    @Test
    void refusesVersion1AndUnknownVersions() {
        assertRefused(RawGGUF.header(1, 0, 0).bytes(), "GGUF version 1 at offset 0x4 is not supported");
        assertRefused(RawGGUF.header(4, 0, 0).bytes(), "unsupported GGUF version 4 at offset 0x4");
        assertRefused(RawGGUF.header(0, 0, 0).bytes(), "unsupported GGUF version 0");
        assertRefused(RawGGUF.header(0xFFFF_FFFFL, 0, 0).bytes(), "unsupported GGUF version 4294967295");
    }

    @Test
    void recognizesABigEndianFile() {
        byte[] bytes = RawGGUF.header(Integer.reverseBytes(3), 0, 0).bytes();
        assertRefused(bytes, "big-endian GGUF file (version at offset 0x4 reads as 0x03000000)");
        assertRefused(RawGGUF.header(Integer.reverseBytes(2), 0, 0).bytes(), "big-endian");
    }

    @Test
    void refusesATensorCountThatCannotFit() {
        assertRefused(RawGGUF.header(3, 1_000_000, 0).zeros(100).bytes(),
                "tensor count 1000000 at offset 0x8 cannot fit in the 100 bytes after the header");
        assertRefused(RawGGUF.header(3, -1, 0).bytes(), "tensor count 18446744073709551615 at offset 0x8 cannot fit");
        // Fits the bytes after the header, but not those left after the metadata.
        assertRefused(RawGGUF.header(3, 2, 1).key("k", ValueType.STRING).string("x".repeat(40)).zeros(20).bytes(),
                "tensor count 2 at offset 0x8 cannot fit in the 20 bytes after the metadata");
    }

    @Test
    void refusesAMetadataCountThatCannotFit() {
        assertRefused(RawGGUF.header(3, 0, 1L << 40).bytes(), "metadata count 1099511627776 at offset 0x10 cannot fit");
        assertRefused(RawGGUF.header(3, 0, Long.MIN_VALUE).bytes(), "metadata count 9223372036854775808");
        assertRefused(RawGGUF.header(3, 0, 2).uint32("a", 1).bytes(), "metadata count 2 at offset 0x10 cannot fit in the 17 bytes");
        // Enough bytes for two minimal pairs, but the second key claims more than is left.
        assertRefused(RawGGUF.header(3, 0, 2).uint32("a", 1).u64(100).zeros(1).bytes(),
                "string length 100 at offset 0x29 runs past the end of the file (size 50)");
    }

    @Test
    void refusesAStringLengthPastTheEnd() {
        assertRefused(RawGGUF.header(3, 0, 1).u64(Long.MAX_VALUE).zeros(16).bytes(),
                "string length 9223372036854775807 at offset 0x18 runs past the end of the file (size 48)");
        assertRefused(RawGGUF.header(3, 0, 1).u64(-1).zeros(16).bytes(), "string length 18446744073709551615 at offset 0x18");
        assertRefused(RawGGUF.header(3, 0, 1).key("k", ValueType.STRING).u64(17).zeros(16).bytes(),
                "string length 17 at offset 0x25 runs past the end");
    }

    @Test
    void decodesInvalidUtf8Leniently() throws IOException {
        byte[] bytes = RawGGUF.header(3, 0, 1).key("k", ValueType.STRING).u64(2).u8(0xC3).u8(0x28).bytes();
        try (GGUFFile file = open(bytes)) {
            assertThat(file.metadata().getString("k")).isEqualTo("\uFFFD(");
        }
    }

    @Test
    void refusesAnUnknownValueType() {
        assertRefused(RawGGUF.header(3, 0, 1).string("k").u32(13).zeros(8).bytes(),
                "metadata key 'k' has unknown value type 13 at offset 0x21");
        assertRefused(RawGGUF.header(3, 0, 1).key("k", ValueType.ARRAY).u32(99).u64(0).bytes(),
                "metadata key 'k' has an array of unknown element type 99 at offset 0x25");
    }

    @Test
    void refusesAnArrayCountPastTheEnd() {
        assertRefused(RawGGUF.header(3, 0, 1).key("k", ValueType.ARRAY).u32(ValueType.UINT32.id()).u64(1L << 62).zeros(40).bytes(),
                "array of 4611686018427387904 UINT32 values at offset 0x25 runs past the end");
        assertRefused(RawGGUF.header(3, 0, 1).key("k", ValueType.ARRAY).u32(ValueType.STRING.id()).u64(-1).bytes(),
                "array of 18446744073709551615 STRING values");
        // Five UINT32 values need 20 bytes; 19 are there.
        assertRefused(RawGGUF.header(3, 0, 1).key("k", ValueType.ARRAY).u32(ValueType.UINT32.id()).u64(5).zeros(19).bytes(),
                "array of 5 UINT32 values");
    }

    @Test
    void refusesArraysNestedTooDeep() {
        RawGGUF raw = RawGGUF.header(3, 0, 1).key("k", ValueType.ARRAY);
        for (int i = 0; i < 10; i++) {
            raw.u32(ValueType.ARRAY.id()).u64(1);
        }
        raw.u32(ValueType.UINT8.id()).u64(0);
        assertRefused(raw.bytes(), "metadata key 'k' nests arrays deeper than 4 levels at offset 0x55");
    }

    @Test
    void refusesABoolThatIsNeither0Nor1() {
        assertRefused(RawGGUF.header(3, 0, 1).key("k", ValueType.BOOL).u8(2).bytes(), "BOOL value 2 at offset 0x25");
    }

    @Test
    void refusesADuplicateMetadataKey() {
        assertRefused(RawGGUF.header(3, 0, 2).uint32("a", 1).uint32("a", 2).bytes(),
                "duplicate metadata key 'a' at offset 0x29");
    }

    @Test
    void refusesADuplicateTensorName() {
        byte[] bytes = RawGGUF.header(3, 2, 0)
                .tensor("t", GGMLType.F32, 0, 8)
                .tensor("t", GGMLType.F32, 32, 8)
                .padTo(32).zeros(64).bytes();
        assertRefused(bytes, "duplicate tensor name 't' at offset 0x39");
    }

    @Test
    void refusesADimensionCountOf0OrOver4() {
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, 0).padTo(32).zeros(32).bytes(),
                "tensor 't' has 0 dimensions at offset 0x21 (expected 1 to 4)");
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, 0, 1, 1, 1, 1, 1).padTo(32).zeros(32).bytes(),
                "tensor 't' has 5 dimensions");
    }

    @Test
    void refusesADimensionOf0OrBelow() {
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, 0, 4, 0).padTo(32).zeros(32).bytes(),
                "tensor 't' dimension 1 is 0 at offset 0x2d");
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, 0, -1).padTo(32).zeros(32).bytes(),
                "tensor 't' dimension 0 is 18446744073709551615");
    }

    @Test
    void refusesAnElementCountThatOverflows() {
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, 0, 1L << 32, 1L << 31).padTo(32).zeros(32).bytes(),
                "tensor 't' shape at offset 0x21 has more elements than a long can count");
        // 2^62 F64 elements take 2^65 bytes.
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F64, 0, 1L << 31, 1L << 31).padTo(32).zeros(32).bytes(),
                "has more bytes than a long can count");
    }

    @Test
    void refusesColumnsThatAreNotWholeBlocks() {
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.Q4_0, 0, 33).padTo(32).zeros(64).bytes(),
                "tensor 't' at offset 0x18 has 33 columns, not a multiple of Q4_0's block size 32");
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.Q4_K, 0, 128, 2).padTo(32).zeros(160).bytes(),
                "128 columns, not a multiple of Q4_K's block size 256");
    }

    @Test
    void refusesAnUnknownOrRemovedTensorType() {
        assertRefused(RawGGUF.header(3, 1, 0).tensor("blk.0.w", 4, 0, 32).padTo(32).zeros(32).bytes(),
                "tensor 'blk.0.w' has type id 4 at offset 0x33, which ggml does not define or has removed");
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", 0xFFFF_FFFFL, 0, 32).padTo(32).zeros(32).bytes(),
                "tensor 't' has type id 4294967295");
    }

    @Test
    void refusesABadAlignment() {
        assertRefused(RawGGUF.header(3, 0, 1).uint32("general.alignment", 0).bytes(),
                "general.alignment 0 at offset 0x18 is not a power of two");
        assertRefused(RawGGUF.header(3, 0, 1).uint32("general.alignment", 48).bytes(),
                "general.alignment 48 at offset 0x18 is not a power of two");
        assertRefused(RawGGUF.header(3, 0, 1).key("general.alignment", ValueType.STRING).string("32").bytes(),
                "metadata key 'general.alignment' at offset 0x18 is STRING, expected UINT32");
    }

    @Test
    void refusesAnUnalignedTensorOffset() {
        byte[] bytes = RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, 16, 4).padTo(32).zeros(64).bytes();
        assertRefused(bytes, "tensor 't' (info at offset 0x18) has data offset 16, not a multiple of the alignment 32");
    }

    @Test
    void refusesTensorDataPastTheEnd() {
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, 0, 16).padTo(32).zeros(63).bytes(),
                "tensor 't' (info at offset 0x18): 64 bytes at data offset 0 run past the end of the file (size 127");
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, -32, 8).padTo(32).zeros(32).bytes(),
                "32 bytes at data offset 18446744073709551584 run past the end");
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, 1L << 62, 8).padTo(32).zeros(32).bytes(),
                "32 bytes at data offset 4611686018427387904 run past the end");
        // Huge but countable: 2^60 F32 values.
        assertRefused(RawGGUF.header(3, 1, 0).tensor("t", GGMLType.F32, 0, 1L << 30, 1L << 30).padTo(32).zeros(32).bytes(),
                "4611686018427387904 bytes at data offset 0 run past the end");
    }

    @Test
    void refusesOverlappingTensors() {
        byte[] bytes = RawGGUF.header(3, 2, 0)
                .tensor("a", GGMLType.F32, 0, 16)
                .tensor("b", GGMLType.F32, 32, 8)
                .padTo(32).zeros(96).bytes();
        assertRefused(bytes, "tensors 'a' (data offset 0, 64 bytes) and 'b' (data offset 32) overlap");
    }

    @Test
    void refusesEveryTruncationOfAValidFile() throws IOException {
        byte[] valid = smallValidFile();
        try (GGUFFile file = open(valid)) {
            assertThat(file.tensors()).hasSize(2);
        }
        for (int length = 0; length < valid.length; length++) {
            byte[] truncated = Arrays.copyOf(valid, length);
            int at = length;
            assertThatThrownBy(() -> open(truncated).close())
                    .as("file truncated to %d of %d bytes", at, valid.length)
                    .isInstanceOf(GGUFFormatException.class);
        }
    }

    @Test
    void survivesRandomMutations() throws IOException {
        byte[] valid = smallValidFile();
        int headerBytes;
        try (GGUFFile file = open(valid)) {
            headerBytes = (int) file.dataOffset();
        }
        Random random = new Random(20_260_126);
        Path path = dir.resolve("mutant.gguf");
        List<String> failures = new ArrayList<>();
        int opened = 0;
        for (int mutant = 0; mutant < 2000; mutant++) {
            byte[] bytes = valid.clone();
            for (int changes = 1 + random.nextInt(4); changes > 0; changes--) {
                // Most mutations hit the header, where the parsing happens.
                int position = random.nextInt(random.nextInt(10) < 9 ? headerBytes : bytes.length);
                switch (random.nextInt(4)) {
                    case 0 -> bytes[position] ^= (byte) (1 << random.nextInt(8));
                    case 1 -> bytes[position] = (byte) random.nextInt(256);
                    case 2 -> bytes[position] = (byte) (random.nextBoolean() ? 0xFF : 0x80);
                    default -> {
                        int end = Math.min(bytes.length, position + 8);
                        Arrays.fill(bytes, position, end, random.nextBoolean() ? (byte) 0xFF : 0);
                    }
                }
            }
            overwrite(path, bytes);
            try (GGUFFile file = GGUFFile.open(path)) {
                for (String key : file.metadata().keys()) {
                    assertThat(file.metadata().type(key)).isNotNull();
                    assertThat(file.metadata().get(key)).isNotNull();
                }
                for (TensorInfo tensor : file.tensors()) {
                    file.data(tensor).toArray(ValueLayout.JAVA_BYTE);
                }
                opened++;
            } catch (GGUFFormatException expected) {
                assertThat(expected.getMessage()).startsWith(path.toString() + ": ");
            } catch (Throwable unexpected) {
                failures.add("mutant " + mutant + ": " + unexpected);
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " mutants threw something other than GGUFFormatException, e.g. "
                    + failures.subList(0, Math.min(5, failures.size())));
        }
        // Flips in tensor data or string bytes leave a valid file: some mutants must open, and most must not.
        assertThat(opened).isBetween(50, 1500);
    }

    /** A little of everything the parser reads; the last tensor fills whole alignment blocks, so any cut loses data. */
    private byte[] smallValidFile() throws IOException {
        Path path = dir.resolve("small.gguf");
        new GGUFWriter()
                .putString("general.architecture", "llama")
                .putUInt32("llama.block_count", 1)
                .putBool("flag", true)
                .put("f64", ValueType.FLOAT64, 0.5)
                .putArray("scores", new GGUFArray(ValueType.FLOAT32, new float[] {0f, -1f, 2f}))
                .putArray("tokens", new GGUFArray(ValueType.STRING, new String[] {"<s>", "▁a", ""}))
                .putArray("nested", new GGUFArray(ValueType.ARRAY, new GGUFArray[] {
                    new GGUFArray(ValueType.INT8, new long[] {-1, 1}),
                    new GGUFArray(ValueType.BOOL, new boolean[] {true})}))
                .addTensor("q", GGMLType.Q8_0, new long[] {32}, new byte[34])
                .addTensor("w", GGMLType.F32, new long[] {8, 2}, new byte[64])
                .write(path);
        return Files.readAllBytes(path);
    }

    private GGUFFile open(byte[] bytes) throws IOException {
        Path path = dir.resolve("file.gguf");
        overwrite(path, bytes);
        return GGUFFile.open(path);
    }

    /**
     * Replaces the file's content without first truncating it to zero, which on ext4 makes close()
     * flush to disk and would turn the thousands of files below into many seconds.
     */
    private static void overwrite(Path path, byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), 0);
            channel.truncate(bytes.length);
        }
    }

    private void assertRefused(byte[] bytes, String messageFragment) {
        assertThatThrownBy(() -> open(bytes).close())
                .isInstanceOf(GGUFFormatException.class)
                .hasMessageContaining(messageFragment);
    }
}
