package eu.souverain.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetadataTest {

    private static Metadata metadata;

    @BeforeAll
    static void writeAndRead(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("metadata.gguf");
        new GGUFWriter()
                .putString("name", "tiny")
                .putUInt32("count", 12)
                .put("big", ValueType.UINT32, 4_000_000_000L)
                .put("u64.max", ValueType.UINT64, -1L)
                .put("i64", ValueType.INT64, -5L)
                .put("f64", ValueType.FLOAT64, 0.125)
                .putFloat32("f32", 1.5f)
                .putBool("flag", true)
                .putArray("ints", new GGUFArray(ValueType.INT16, new long[] {-1, 2, 3}))
                .putArray("wide", new GGUFArray(ValueType.UINT32, new long[] {1, 4_000_000_000L}))
                .putArray("doubles", new GGUFArray(ValueType.FLOAT64, new double[] {0.5, -2}))
                .putArray("words", new GGUFArray(ValueType.STRING, new String[] {"a", "b"}))
                .write(path);
        try (GGUFFile file = GGUFFile.open(path)) {
            metadata = file.metadata(); // metadata lives on the heap: usable after close
        }
    }

    @Test
    void readsScalarsThroughTypedGetters() {
        assertThat(metadata.getString("name")).isEqualTo("tiny");
        assertThat(metadata.findString("name")).contains("tiny");
        assertThat(metadata.findString("absent")).isEmpty();
        assertThat(metadata.getInt("count")).isEqualTo(12);
        assertThat(metadata.getInt("absent", 7)).isEqualTo(7);
        assertThat(metadata.getLong("big")).isEqualTo(4_000_000_000L);
        assertThat(metadata.getLong("absent", -1)).isEqualTo(-1);
        assertThat(metadata.getLong("i64")).isEqualTo(-5);
        assertThat(metadata.getFloat("f64")).isEqualTo(0.125f);
        assertThat(metadata.getFloat("count")).isEqualTo(12f);
        assertThat(metadata.getFloat("u64.max")).isEqualTo(1.8446744e19f);
        assertThat(metadata.getFloat("absent", 2f)).isEqualTo(2f);
        assertThat(metadata.getBool("flag", false)).isTrue();
        assertThat(metadata.getBool("absent", true)).isTrue();
        assertThat(metadata.has("flag")).isTrue();
        assertThat(metadata.type("absent")).isNull();
        assertThat(metadata.get("absent")).isNull();
    }

    @Test
    void readsArraysThroughTypedGetters() {
        assertThat(metadata.getIntArray("ints")).containsExactly(-1, 2, 3);
        assertThat(metadata.getFloatArray("doubles")).containsExactly(0.5f, -2f);
        assertThat(metadata.getStringArray("words")).containsExactly("a", "b");
        assertThat(metadata.findStringArray("absent")).isEmpty();
        assertThat(metadata.findFloatArray("absent")).isEmpty();
        assertThat(metadata.findIntArray("ints")).hasValueSatisfying(ints -> assertThat(ints).hasSize(3));
        metadata.getStringArray("words")[0] = "changed";
        assertThat(metadata.getStringArray("words")[0]).isEqualTo("a");
    }

    @Test
    void namesTheKeyWhenMissingOrOfAnotherType() {
        assertThatThrownBy(() -> metadata.getString("absent"))
                .isInstanceOf(GGUFFormatException.class)
                .hasMessage("missing metadata key 'absent'");
        assertThatThrownBy(() -> metadata.getString("count"))
                .isInstanceOf(GGUFFormatException.class)
                .hasMessage("metadata key 'count' is UINT32, expected STRING");
        assertThatThrownBy(() -> metadata.getInt("name")).hasMessage("metadata key 'name' is STRING, expected an integer");
        assertThatThrownBy(() -> metadata.getInt("name", 3)).isInstanceOf(GGUFFormatException.class);
        assertThatThrownBy(() -> metadata.getInt("big")).hasMessageContaining("4000000000 does not fit in an int");
        assertThatThrownBy(() -> metadata.getLong("u64.max"))
                .hasMessageContaining("18446744073709551615 does not fit in a long");
        assertThatThrownBy(() -> metadata.getFloat("name")).hasMessageContaining("expected a number");
        assertThatThrownBy(() -> metadata.getBool("count", false)).hasMessageContaining("is UINT32, expected BOOL");
        assertThatThrownBy(() -> metadata.getStringArray("ints"))
                .hasMessage("metadata key 'ints' is ARRAY of INT16, expected ARRAY of STRING");
        assertThatThrownBy(() -> metadata.getFloatArray("words")).hasMessageContaining("expected ARRAY of FLOAT32");
        assertThatThrownBy(() -> metadata.getIntArray("doubles")).hasMessageContaining("expected ARRAY of an integer type");
        assertThatThrownBy(() -> metadata.getIntArray("wide"))
                .hasMessageContaining("element 1 value 4000000000 does not fit in an int");
        assertThatThrownBy(() -> metadata.getStringArray("name")).hasMessageContaining("is STRING, expected ARRAY");
    }
}
