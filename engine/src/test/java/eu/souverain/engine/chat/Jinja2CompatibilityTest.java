package eu.souverain.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Small templates where Jinjava on its own renders differently from jinja2: whitespace control,
 * operator precedence, loop filters and controls, Python's str methods and printing, tojson. Each
 * expected string is what jinja2 3.1.6 rendered, set up as Hugging Face sets it up (sandboxed,
 * trim_blocks, lstrip_blocks, loop controls, their tojson, strftime_now at 2026-11-26 10:15:00).
 */
class Jinja2CompatibilityTest {

    private static final Clock CLOCK = Clock.fixed(LocalDateTime.parse("2026-11-26T10:15:00").toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    static Stream<Arguments> jinja2Renders() {
        return Stream.of(
                Arguments.of("  {% if true %}\n  x\n  {% endif %}\n",
                        "  x\n"),
                Arguments.of("a  {% if true %}b{% endif %}",
                        "a  b"),
                Arguments.of("  {{ 'x' }}\n  y",
                        "  x\n  y"),
                Arguments.of("{% for i in [1,2] %}\n{{ i }}\n{% endfor %}\n",
                        "1\n2\n"),
                Arguments.of("x {%- if true -%} y {%- endif %} z",
                        "xy z"),
                Arguments.of("{# c #}\n  a\n  {# d #}\n  b",
                        "  a\n  b"),
                Arguments.of("  {%+ if true %}x{% endif %}",
                        "  x"),
                Arguments.of("{% if true +%}\nx{% endif %}",
                        "\nx"),
                Arguments.of("\t{% set x = 1 %}\n{{ x }}",
                        "1"),
                Arguments.of("{% raw %}  {{ x }}\n{% endraw %}",
                        "  {{ x }}\n"),
                Arguments.of("{{- ' a ' -}}\n  b",
                        " a b"),
                Arguments.of("  {{- 'a' }}  {{ 'b' -}}  \n c",
                        "a  bc"),
                Arguments.of("{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}",
                        "02"),
                Arguments.of("{% for k, v in {'a': 1, 'b': 2, 'c': 3}.items() if k != 'b' %}{{ k }}{{ v }}{{ loop.index }}/{{ loop.length }}{% if not loop.last %},{% endif %}{% endfor %}",
                        "a11/2,c32/2"),
                Arguments.of("{% if not x is defined %}a{% endif %}{% if not 1 == 2 %}b{% endif %}{% if not [1] is string and not none is not none %}c{% endif %}",
                        "abc"),
                Arguments.of("line1\r\nline2\n",
                        "line1\nline2"),
                Arguments.of("{% set ns = namespace(n=0) %}{% for m in [1, 2, 3] %}{% set ns.n = ns.n + m %}{% endfor %}{{ ns.n }}",
                        "6"),
                Arguments.of("{{ [1, 2, 3][1:] }}|{{ 'abc'[:-1] }}|{{ [1, 2, 3][-1] }}",
                        "[2, 3]|ab|3"),
                Arguments.of("{% if true %}  {% endif %}x",
                        "  x"),
                Arguments.of("{{ \"a\" }}  {% if true %}b{% endif %}",
                        "a  b"),
                Arguments.of("{% if true %}\n  {% endif %}x",
                        "x"),
                Arguments.of("  {% if true %}\n\n{% endif %}x",
                        "\nx"),
                Arguments.of("a\n  {#- c #}b",
                        "ab"),
                Arguments.of("  {{ 1 }}{% if true %}\n{% endif %}",
                        "  1"),
                Arguments.of("{% if true -%}\n\n x{% endif %}",
                        "x"),
                Arguments.of("x\n   {%- if true %}y{% endif %}",
                        "xy"),
                Arguments.of("{{1}}\n  {% if true %}y{% endif %}",
                        "1\ny"),
                Arguments.of("  {% raw %}  {% if %}\n  {% endraw %}\nz",
                        "  {% if %}\nz"),
                Arguments.of("{% set d = {'b': 1, 'a': [1.5, true, none, '\u00e9\\n\"x\\\\', 1e20, 0.0001, 1e-05, 100.0, -2]} %}{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ d|tojson(sort_keys=true) }}|{{ d|tojson(separators=(',', ':')) }}|{{ {}|tojson(indent=2) }}|{{ []|tojson }}|{{ '\u00e9'|tojson(ensure_ascii=true) }}",
                        "{\"b\": 1, \"a\": [1.5, true, null, \"\u00e9\\n\\\"x\\\\\", 1e+20, 0.0001, 1e-05, 100.0, -2]}|{\n  \"b\": 1,\n  \"a\": [\n    1.5,\n    true,\n    null,\n    \"\u00e9\\n\\\"x\\\\\",\n    1e+20,\n    0.0001,\n    1e-05,\n    100.0,\n    -2\n  ]\n}|{\"a\": [1.5, true, null, \"\u00e9\\n\\\"x\\\\\", 1e+20, 0.0001, 1e-05, 100.0, -2], \"b\": 1}|{\"b\":1,\"a\":[1.5,true,null,\"\u00e9\\n\\\"x\\\\\",1e+20,0.0001,1e-05,100.0,-2]}|{}|[]|\"\\u00e9\""),
                Arguments.of("{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  a'.lstrip() }}|{{ 'a  '.rstrip() }}|{{ 'a.b.c'.split('.') }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'hello wORLD'.title() }}|{{ \"they're\".title() }}|{{ 'aBc'.upper() }}{{ 'aBc'.lower() }}|{{ 'abc'.capitalize() }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}|{{ '-'.join(['a', 'b']) }}",
                        "a b|a|a|a|['a', 'b', 'c']|['a', 'b']|['a', 'b,c']|Hello World|They'Re|ABCabc|Abc|bba|TrueTrue|a-b"),
                Arguments.of("{{ '\u00a0 x \u00a0'|trim }}|{{ 'xxaxx'|trim('x') }}|{{ 'h\u00e9llo'|length }}|{{ [1, 2]|length }}|{{ {'a': 1}|length }}",
                        "x|a|5|2|1"),
                Arguments.of("{% for m in [{'role': 'user', 'c': 'a'}, {'role': 'bot', 'c': 'b'}, {'role': 'user', 'c': 'c'}] | selectattr('role', 'equalto', 'user') %}{{ m.c }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{% endfor %}",
                        "a0TrueFalsec1FalseTrue"),
                Arguments.of("{% set d = {'a': 1} %}{{ d.get('a') }}{{ d.get('z', 'dflt') }}{% for k, v in d.items() %}{{ k }}={{ v }}{% endfor %}{{ 'a' in d }}{{ 'z' in d }}",
                        "1dflta=1TrueFalse"),
                Arguments.of("{{ raise_exception('nope') if false else 'ok' }}|{{ strftime_now('%Y-%m-%d %d %b %Y %A %B %H:%M:%S %j %-d %I%p') }}",
                        "ok|2026-11-26 26 Nov 2026 Thursday November 10:15:00 330 26 10AM"),
                Arguments.of("{% set x = 'abc' %}{% if x is string and x is not mapping and [1] is iterable and {} is mapping and none is none %}yes{% endif %}",
                        "yes"),
                Arguments.of("{{ ['a', 'b']|map('upper')|join(',') }}|{{ [{'n': 'x'}, {'n': 'y'}]|map(attribute='n')|list }}|{{ [3, 1, 2]|sort|first }}|{{ ['a', 'b']|last }}",
                        "A,B|['x', 'y']|1|b"));
    }

    @ParameterizedTest
    @MethodSource("jinja2Renders")
    void rendersLikeJinja2(String template, String expected) {
        assertThat(ChatTemplate.of(template, "<s>", "</s>").withClock(CLOCK).render(List.of(), null, true)).isEqualTo(expected);
    }
}
