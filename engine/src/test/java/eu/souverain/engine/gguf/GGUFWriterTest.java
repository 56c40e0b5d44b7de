package eu.souverain.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import eu.souverain.engine.TestFiles;
import eu.souverain.engine.tensor.GGMLType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GGUFWriterTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsEveryValueType() throws IOException {
        Map<String, Object> expected = new LinkedHashMap<>();
        Map<String, ValueType> types = new LinkedHashMap<>();
        GGUFWriter writer = new GGUFWriter();
        Object[][] values = {
            {"u8", ValueType.UINT8, 255L},
            {"i8", ValueType.INT8, -128L},
            {"u16", ValueType.UINT16, 65_535L},
            {"i16", ValueType.INT16, -32_768L},
            {"u32", ValueType.UINT32, 4_294_967_295L},
            {"i32", ValueType.INT32, (long) Integer.MIN_VALUE},
            {"f32", ValueType.FLOAT32, -1.5e-7f},
            {"f32.nan", ValueType.FLOAT32, Float.NaN},
            {"bool.true", ValueType.BOOL, true},
            {"bool.false", ValueType.BOOL, false},
            {"string", ValueType.STRING, "héllo ✓ 😀\n\u0000end"},
            {"string.empty", ValueType.STRING, ""},
            {"u64", ValueType.UINT64, -1L},
            {"i64", ValueType.INT64, Long.MIN_VALUE},
            {"f64", ValueType.FLOAT64, Math.PI},
            {"array.u8", ValueType.ARRAY, new GGUFArray(ValueType.UINT8, new long[] {0, 1, 255})},
            {"array.i8", ValueType.ARRAY, new GGUFArray(ValueType.INT8, new long[] {-128, 127})},
            {"array.u16", ValueType.ARRAY, new GGUFArray(ValueType.UINT16, new long[] {65_535})},
            {"array.i16", ValueType.ARRAY, new GGUFArray(ValueType.INT16, new long[] {-32_768, 5})},
            {"array.u32", ValueType.ARRAY, new GGUFArray(ValueType.UINT32, new long[] {4_294_967_295L, 7})},
            {"array.i32", ValueType.ARRAY, new GGUFArray(ValueType.INT32, new long[] {Integer.MIN_VALUE, -1})},
            {"array.u64", ValueType.ARRAY, new GGUFArray(ValueType.UINT64, new long[] {-1, Long.MAX_VALUE})},
            {"array.i64", ValueType.ARRAY, new GGUFArray(ValueType.INT64, new long[] {Long.MIN_VALUE})},
            {"array.f32", ValueType.ARRAY, new GGUFArray(ValueType.FLOAT32, new float[] {1f, -0f, Float.MAX_VALUE})},
            {"array.f64", ValueType.ARRAY, new GGUFArray(ValueType.FLOAT64, new double[] {Math.E, -1e300})},
            {"array.bool", ValueType.ARRAY, new GGUFArray(ValueType.BOOL, new boolean[] {true, false, true})},
            {"array.string", ValueType.ARRAY, new GGUFArray(ValueType.STRING, new String[] {"a", "", "▁the"})},
            {"array.empty", ValueType.ARRAY, new GGUFArray(ValueType.STRING, new String[0])},
            {"array.empty.f32", ValueType.ARRAY, new GGUFArray(ValueType.FLOAT32, new float[0])},
            {"array.nested", ValueType.ARRAY, new GGUFArray(ValueType.ARRAY, new GGUFArray[] {
                new GGUFArray(ValueType.INT32, new long[] {1, 2}),
                new GGUFArray(ValueType.STRING, new String[] {"x"}),
                new GGUFArray(ValueType.ARRAY, new GGUFArray[] {new GGUFArray(ValueType.BOOL, new boolean[0])}),
                new GGUFArray(ValueType.ARRAY, new GGUFArray[0])})},
        };
        for (Object[] value : values) {
            writer.put((String) value[0], (ValueType) value[1], value[2]);
            types.put((String) value[0], (ValueType) value[1]);
            expected.put((String) value[0], value[2]);
        }
        Path path = dir.resolve("values.gguf");
        writer.write(path);

        try (GGUFFile file = GGUFFile.open(path)) {
            Metadata metadata = file.metadata();
            assertThat(file.version()).isEqualTo(3);
            assertThat(file.tensors()).isEmpty();
            assertThat(metadata.keys()).containsExactlyElementsOf(expected.keySet());
            for (String key : expected.keySet()) {
                assertThat(metadata.type(key)).as(key).isEqualTo(types.get(key));
                assertThat(metadata.get(key)).as(key).isEqualTo(expected.get(key));
            }
        }
    }

    @Test
    void acceptsIntegerAndFloatBoxesOfOtherSizes() throws IOException {
        Path path = dir.resolve("boxes.gguf");
        new GGUFWriter()
                .put("int", ValueType.UINT16, 300)
                .put("short", ValueType.INT8, (short) -3)
                .put("double", ValueType.FLOAT32, 0.25)
                .put("float", ValueType.FLOAT64, 0.5f)
                .putUInt32("u32", 7)
                .putInt32("i32", -7)
                .putFloat32("f32", 2.5f)
                .putBool("b", true)
                .putString("s", "text")
                .write(path);
        try (GGUFFile file = GGUFFile.open(path)) {
            Metadata metadata = file.metadata();
            assertThat(metadata.get("int")).isEqualTo(300L);
            assertThat(metadata.get("short")).isEqualTo(-3L);
            assertThat(metadata.get("double")).isEqualTo(0.25f);
            assertThat(metadata.get("float")).isEqualTo(0.5);
            assertThat(metadata.type("u32")).isEqualTo(ValueType.UINT32);
            assertThat(metadata.getInt("i32")).isEqualTo(-7);
            assertThat(metadata.getFloat("f32")).isEqualTo(2.5f);
            assertThat(metadata.getBool("b", false)).isTrue();
            assertThat(metadata.getString("s")).isEqualTo("text");
        }
    }

    @Test
    void roundTripsTensorsOfSeveralTypesAndShapes() throws IOException {
        Random random = new Random(42);
        Object[][] specs = {
            {"f32.matrix", GGMLType.F32, new long[] {3, 2}},
            {"f16.vector", GGMLType.F16, new long[] {5}},
            {"q4_0", GGMLType.Q4_0, new long[] {64, 3}},
            {"q8_0.3d", GGMLType.Q8_0, new long[] {32, 1, 2}},
            {"q6_k", GGMLType.Q6_K, new long[] {256}},
            {"i8.4d", GGMLType.I8, new long[] {7, 1, 1, 2}},
            {"bf16", GGMLType.BF16, new long[] {1, 1}},
        };
        GGUFWriter writer = new GGUFWriter().putString("general.architecture", "test");
        List<byte[]> contents = new ArrayList<>();
        for (Object[] spec : specs) {
            GGMLType type = (GGMLType) spec[1];
            long[] shape = (long[]) spec[2];
            long elements = 1;
            for (long dim : shape) {
                elements *= dim;
            }
            byte[] data = new byte[(int) type.byteSize(elements)];
            random.nextBytes(data);
            contents.add(data);
            writer.addTensor((String) spec[0], type, shape, data);
        }
        Path path = dir.resolve("tensors.gguf");
        writer.write(path);

        try (GGUFFile file = GGUFFile.open(path)) {
            assertThat(file.tensors()).hasSize(specs.length);
            assertThat(file.dataOffset() % 32).isZero();
            for (int i = 0; i < specs.length; i++) {
                TensorInfo tensor = file.tensors().get(i);
                assertThat(tensor.name()).isEqualTo(specs[i][0]);
                assertThat(tensor.type()).isEqualTo(specs[i][1]);
                assertThat(tensor.shape()).containsExactly((long[]) specs[i][2]);
                assertThat(tensor.offset() % 32).isZero();
                assertThat(file.data(tensor).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(contents.get(i));
            }
        }
    }

    @Test
    void respectsACustomAlignment() throws IOException {
        Path path = dir.resolve("aligned.gguf");
        new GGUFWriter()
                .putUInt32("general.alignment", 64)
                .addTensor("a", GGMLType.F32, new long[] {3}, new byte[12])
                .addTensor("b", GGMLType.Q8_0, new long[] {32}, filled(34, (byte) 7))
                .addTensor("c", GGMLType.F32, new long[] {1}, filled(4, (byte) 9))
                .write(path);
        try (GGUFFile file = GGUFFile.open(path)) {
            assertThat(file.alignment()).isEqualTo(64);
            assertThat(file.dataOffset() % 64).isZero();
            assertThat(file.tensors()).extracting(TensorInfo::offset).containsExactly(0L, 64L, 128L);
            assertThat(file.data(file.tensor("b")).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(filled(34, (byte) 7));
            assertThat(file.fileSize()).isEqualTo(file.dataOffset() + 192);
        }
    }

    @Test
    void copiesMetadataKeepingTypesAndOrder() throws IOException {
        Path path = dir.resolve("copy.gguf");
        try (GGUFFile stories = GGUFFile.open(TestFiles.shared("models/stories260K.gguf"))) {
            Metadata source = stories.metadata();
            new GGUFWriter()
                    .copyMetadata(source, key -> !key.startsWith("llama."))
                    .putString("general.name", "copy")
                    .write(path);
            try (GGUFFile copy = GGUFFile.open(path)) {
                Metadata metadata = copy.metadata();
                assertThat(metadata.keys()).containsExactlyElementsOf(
                        source.keys().stream().filter(key -> !key.startsWith("llama.")).toList());
                for (String key : metadata.keys()) {
                    assertThat(metadata.type(key)).as(key).isEqualTo(source.type(key));
                    if (!key.equals("general.name")) {
                        assertThat(metadata.get(key)).as(key).isEqualTo(source.get(key));
                    }
                }
                assertThat(metadata.getString("general.name")).isEqualTo("copy");
            }
        }
    }

    @Test
    void asksForStreamedTensorDataOnlyWhileWriting() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        GGUFWriter writer = new GGUFWriter();
        for (int i = 0; i < 3; i++) {
            byte value = (byte) i;
            writer.addTensor("t" + i, GGMLType.F32, new long[] {8, 2}, () -> {
                calls.incrementAndGet();
                return filled(64, value);
            });
        }
        assertThat(calls).hasValue(0);
        Path path = dir.resolve("streamed.gguf");
        writer.write(path);
        assertThat(calls).hasValue(3);
        try (GGUFFile file = GGUFFile.open(path)) {
            assertThat(file.data(file.tensor("t2")).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(filled(64, (byte) 2));
        }
    }

    @Test
    void refusesWhatCannotBeWritten() {
        GGUFWriter writer = new GGUFWriter();
        assertThatThrownBy(() -> writer.put("k", ValueType.UINT8, 256L)).hasMessageContaining("out of UINT8 range");
        assertThatThrownBy(() -> writer.put("k", ValueType.UINT32, -1L)).hasMessageContaining("out of UINT32 range");
        assertThatThrownBy(() -> writer.put("k", ValueType.FLOAT32, "1.0")).hasMessageContaining("FLOAT32 cannot hold a String");
        assertThatThrownBy(() -> writer.put("k", ValueType.STRING, null)).hasMessageContaining("cannot hold null");
        assertThatThrownBy(() -> writer.putArray("k", new GGUFArray(ValueType.INT8, new long[] {200})))
                .hasMessageContaining("array element 200 is out of INT8 range");
        assertThatThrownBy(() -> new GGUFArray(ValueType.INT32, new int[] {1})).hasMessageContaining("long[]");
        GGUFArray deep = new GGUFArray(ValueType.INT32, new long[0]);
        for (int i = 0; i < GGUFParser.MAX_ARRAY_DEPTH; i++) {
            deep = new GGUFArray(ValueType.ARRAY, new GGUFArray[] {deep});
        }
        GGUFArray tooDeep = deep;
        assertThatThrownBy(() -> writer.putArray("k", tooDeep)).hasMessageContaining("deeper than");
        assertThatThrownBy(() -> writer.putUInt32("general.alignment", 48)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> writer.putInt32("general.alignment", 64)).hasMessageContaining("UINT32");

        assertThatThrownBy(() -> writer.addTensor("t", GGMLType.F32, new long[] {4}, new byte[15]))
                .hasMessageContaining("needs 16 bytes of data, got 15");
        assertThatThrownBy(() -> writer.addTensor("t", GGMLType.Q4_0, new long[] {33}, new byte[18]))
                .hasMessageContaining("33 columns, not a multiple of Q4_0's block size 32");
        assertThatThrownBy(() -> writer.addTensor("t", GGMLType.F32, new long[] {4, 0}, new byte[0]))
                .hasMessageContaining("every dimension must be positive");
        assertThatThrownBy(() -> writer.addTensor("t", GGMLType.F32, new long[] {1, 1, 1, 1, 1}, new byte[4]))
                .hasMessageContaining("5 dimensions");
        writer.addTensor("t", GGMLType.F32, new long[] {4}, new byte[16]);
        assertThatThrownBy(() -> writer.addTensor("t", GGMLType.F32, new long[] {4}, new byte[16]))
                .hasMessageContaining("'t' is already added");
    }

    @Test
    void refusesStreamedDataOfTheWrongLength() {
        GGUFWriter writer = new GGUFWriter().addTensor("t", GGMLType.F16, new long[] {4}, () -> new byte[4]);
        assertThatThrownBy(() -> writer.write(dir.resolve("short.gguf")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tensor 't' (F16 [4]) needs 8 bytes of data, got 4");
    }

    @Test
    void replacesAValuePutAgainInPlace() throws IOException {
        Path path = dir.resolve("replace.gguf");
        new GGUFWriter().putString("a", "1").putString("b", "2").putInt32("a", 3).write(path);
        try (GGUFFile file = GGUFFile.open(path)) {
            assertThat(file.metadata().keys()).containsExactly("a", "b");
            assertThat(file.metadata().getInt("a")).isEqualTo(3);
            assertThat(Files.size(path)).isEqualTo(file.fileSize());
        }
    }

    private static byte[] filled(int length, byte value) {
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, value);
        return bytes;
    }
}
