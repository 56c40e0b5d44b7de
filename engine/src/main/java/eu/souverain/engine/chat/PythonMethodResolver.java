package eu.souverain.engine.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.StringJoiner;
import java.util.function.UnaryOperator;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Resolves calls of Python str methods ({@code content.strip()}, {@code name.startswith("x")}...)
 * that Jinjava would otherwise look up as Java methods; everything else falls through to Jinjava's
 * own resolvers. While untrusted text is fenced, the methods see it without its fences.
 */
final class PythonMethodResolver extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String || base instanceof SafeString) || method == null) {
            return null;
        }
        String self = base.toString();
        Object[] args = params == null ? new Object[0] : params;
        UntrustedMarks marks = JinjaEnvironment.currentMarks();
        Object result = switch (method.toString()) {
            case "strip" -> transform(marks, self, s -> PythonStrings.strip(s, optionalString(args, 0), true, true));
            case "lstrip" -> transform(marks, self, s -> PythonStrings.strip(s, optionalString(args, 0), true, false));
            case "rstrip" -> transform(marks, self, s -> PythonStrings.strip(s, optionalString(args, 0), false, true));
            case "upper" -> transform(marks, self, PythonStrings::upper);
            case "lower" -> transform(marks, self, PythonStrings::lower);
            case "title" -> transform(marks, self, PythonStrings::title);
            case "capitalize" -> transform(marks, self, PythonStrings::capitalize);
            case "replace" -> transform(marks, self, s -> PythonStrings.replace(s, string(args, 0), string(args, 1), args.length > 2 ? integer(args[2]) : -1));
            case "split" -> split(marks, self, optionalString(args, 0), args.length > 1 ? integer(args[1]) : -1);
            case "startswith" -> affixes(args).stream().anyMatch(visible(marks, self)::startsWith);
            case "endswith" -> affixes(args).stream().anyMatch(visible(marks, self)::endsWith);
            case "join" -> join(self, args);
            default -> null;
        };
        if (result != null) {
            context.setPropertyResolved(true);
        }
        return result;
    }

    private static String transform(UntrustedMarks marks, String self, UnaryOperator<String> operation) {
        return marks == null ? operation.apply(self) : marks.applyInside(self, operation);
    }

    private static String visible(UntrustedMarks marks, String self) {
        return marks == null ? self : marks.strip(self);
    }

    private static List<String> split(UntrustedMarks marks, String self, String separator, int maxSplit) {
        if (marks == null || !marks.isOneRegion(self)) {
            return PythonStrings.split(self, separator, maxSplit);
        }
        List<String> parts = new ArrayList<>();
        for (String part : PythonStrings.split(self.substring(1, self.length() - 1), separator, maxSplit)) {
            parts.add(marks.wrap(part));
        }
        return parts;
    }

    private static List<String> affixes(Object[] args) {
        if (args.length == 0) {
            throw new ChatTemplateException("startswith/endswith: missing argument");
        }
        if (args[0] instanceof Collection<?> options) {
            return options.stream().map(String::valueOf).toList();
        }
        return List.of(string(args, 0));
    }

    private static String join(String separator, Object[] args) {
        if (args.length != 1 || !(args[0] instanceof Iterable<?> items)) {
            throw new ChatTemplateException("join: expected one iterable argument");
        }
        StringJoiner joined = new StringJoiner(separator);
        for (Object item : items) {
            if (!(item instanceof CharSequence)) {
                throw new ChatTemplateException("join: expected str instance, " + (item == null ? "None" : item.getClass().getSimpleName()) + " found");
            }
            joined.add((CharSequence) item);
        }
        return joined.toString();
    }

    private static String optionalString(Object[] args, int i) {
        return i < args.length && args[i] != null ? args[i].toString() : null;
    }

    private static String string(Object[] args, int i) {
        if (i >= args.length || args[i] == null) {
            throw new ChatTemplateException("string method: missing argument " + (i + 1));
        }
        return args[i].toString();
    }

    private static int integer(Object arg) {
        if (!(arg instanceof Number n)) {
            throw new ChatTemplateException("string method: expected an integer, got " + arg);
        }
        return n.intValue();
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
