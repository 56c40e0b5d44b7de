package eu.souverain.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.SafeString;
import java.lang.reflect.Array;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Filters whose Jinjava versions differ from what jinja2 and Hugging Face's environment do. */
final class PythonFilters {

    private PythonFilters() {}

    static List<Filter> all() {
        return List.of(new ToJson(), new Trim(), new Length("length"), new Length("count"), new Str());
    }

    /** Common plumbing: Jinjava calls the Object-arguments form when keyword arguments are present. */
    private abstract static class PythonFilter implements Filter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public abstract Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs);

        static Object argument(Object[] args, Map<String, Object> kwargs, int position, String name) {
            if (kwargs.containsKey(name)) {
                return kwargs.get(name);
            }
            return args != null && position < args.length ? args[position] : null;
        }
    }

    /** tojson(ensure_ascii=False, indent=None, separators=None, sort_keys=False), as Hugging Face defines it. */
    static final class ToJson extends PythonFilter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object ensureAscii = argument(args, kwargs, 0, "ensure_ascii");
            Object indent = argument(args, kwargs, 1, "indent");
            Object separators = argument(args, kwargs, 2, "separators");
            Object sortKeys = argument(args, kwargs, 3, "sort_keys");
            String itemSeparator = null;
            String keySeparator = null;
            if (separators != null) {
                if (!(separators instanceof List<?> pair) || pair.size() != 2) {
                    throw new ChatTemplateException("tojson: separators must be a pair of strings, got " + separators);
                }
                itemSeparator = String.valueOf(pair.get(0));
                keySeparator = String.valueOf(pair.get(1));
            }
            PythonJson.Options options = PythonJson.Options.of(Boolean.TRUE.equals(ensureAscii), indentString(indent),
                    itemSeparator, keySeparator, Boolean.TRUE.equals(sortKeys));
            return PythonJson.dumps(var, options, JinjaEnvironment.marks(interpreter));
        }

        private static String indentString(Object indent) {
            return switch (indent) {
                case null -> null;
                case Number n -> " ".repeat(Math.max(0, n.intValue()));
                case CharSequence s -> s.toString();
                default -> throw new ChatTemplateException("tojson: indent must be an integer or a string, got " + indent);
            };
        }
    }

    /** trim(chars=None): Python's str.strip, whose whitespace is not Java's. */
    static final class Trim extends PythonFilter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            String text = var == null ? "" : var.toString();
            Object chars = argument(args, kwargs, 0, "chars");
            String charSet = chars == null ? null : chars.toString();
            UntrustedMarks marks = JinjaEnvironment.marks(interpreter);
            return marks == null ? PythonStrings.strip(text, charSet, true, true)
                    : marks.applyInside(text, s -> PythonStrings.strip(s, charSet, true, true));
        }
    }

    /** length / count: Python's len, which counts code points and never the fences around untrusted text. */
    static final class Length extends PythonFilter {
        private final String name;

        Length(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            return switch (var) {
                case null -> 0;
                case String s -> visibleLength(s, interpreter);
                case SafeString s -> visibleLength(s.toString(), interpreter);
                case Collection<?> c -> c.size();
                case Map<?, ?> m -> m.size();
                case Iterable<?> items -> {
                    int n = 0;
                    for (Object ignored : items) {
                        n++;
                    }
                    yield n;
                }
                default -> {
                    if (var.getClass().isArray()) {
                        yield Array.getLength(var);
                    }
                    throw new ChatTemplateException("object of type " + var.getClass().getSimpleName() + " has no len()");
                }
            };
        }

        private static int visibleLength(String s, JinjavaInterpreter interpreter) {
            UntrustedMarks marks = JinjaEnvironment.marks(interpreter);
            return PythonStrings.length(marks == null ? s : marks.strip(s));
        }
    }

    /** string: Python's str(), which is also how jinja2 prints every expression (see Jinja2Source). */
    static final class Str extends PythonFilter {
        @Override
        public String getName() {
            return "string";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            return PythonStr.str(var);
        }
    }
}
