package eu.souverain.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Expected strings are what Python 3's repr and json.dumps print. */
class PythonJsonTest {

    private static final PythonJson.Options ONE_LINE = PythonJson.Options.of(false, null, null, null, false);

    @ParameterizedTest
    @CsvSource({
            "1.0, 1.0",
            "1e16, 1e+16",
            "1e15, 1000000000000000.0",
            "0.0001, 0.0001",
            "0.00001, 1e-05",
            "123.456, 123.456",
            "-0.0, -0.0",
            "1.5e-7, 1.5e-07",
            "2.5e300, 2.5e+300",
            "0.1, 0.1",
            "0.3333333333333333, 0.3333333333333333",
            "4.9e-324, 5e-324",
            "12345678901234567.0, 1.2345678901234568e+16",
    })
    void floatsPrintAsPythonRepr(double value, String python) {
        assertThat(PythonJson.floatRepr(value)).isEqualTo(python);
    }

    @Test
    void escapesOnlyWhatPythonEscapesAndKeepsNonAsciiUnlessAsked() {
        String text = "é😀\u0001\u007f\"\\\n";
        assertThat(PythonJson.dumps(text, ONE_LINE, null)).isEqualTo("\"é😀\\u0001\u007f\\\"\\\\\\n\"");
        assertThat(PythonJson.dumps(text, PythonJson.Options.of(true, null, null, null, false), null))
                .isEqualTo("\"\\u00e9\\ud83d\\ude00\\u0001\\u007f\\\"\\\\\\n\"");
    }

    @Test
    void keepsKeyOrderUnlessSortedAndIndentsLikeJsonDumps() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("b", List.of(1, true));
        value.put("a", null);
        value.put("c", Map.of());
        assertThat(PythonJson.dumps(value, ONE_LINE, null)).isEqualTo("{\"b\": [1, true], \"a\": null, \"c\": {}}");
        assertThat(PythonJson.dumps(value, PythonJson.Options.of(false, null, null, null, true), null))
                .isEqualTo("{\"a\": null, \"b\": [1, true], \"c\": {}}");
        assertThat(PythonJson.dumps(value, PythonJson.Options.of(false, "  ", null, null, false), null))
                .isEqualTo("{\n  \"b\": [\n    1,\n    true\n  ],\n  \"a\": null,\n  \"c\": {}\n}");
    }

    @Test
    void fencesEveryStringWhenMarkingUntrustedText() {
        UntrustedMarks marks = new UntrustedMarks('\uE000', '\uE001');
        assertThat(PythonJson.dumps(Map.of("k", marks.wrap("v\"")), ONE_LINE, marks))
                .isEqualTo("{\"\uE000k\uE001\": \"\uE000v\\\"\uE001\"}");
    }

    @Test
    void refusesWhatJsonCannotHold() {
        assertThatThrownBy(() -> PythonJson.dumps(new Object(), ONE_LINE, null))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("not JSON serializable");
    }
}
