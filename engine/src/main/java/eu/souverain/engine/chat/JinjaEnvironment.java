package eu.souverain.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.filter.Filter;
import java.io.IOException;
import java.lang.reflect.Method;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jinjava.javax.el.CompositeELResolver;

/**
 * One Jinjava instance set up to render chat templates the way Hugging Face's sandboxed jinja2
 * environment does (with the help of {@link Jinja2Source}): trim_blocks, lstrip_blocks, loop
 * controls, jinja2's whitespace control on
 * expressions and comments, its operator precedence, raise_exception and strftime_now, tojson as
 * json.dumps, Python's str methods, and for-loop filters. Templates cannot load other templates.
 */
final class JinjaEnvironment {

    /** Context keys for per-render state; the dot keeps templates from naming them. */
    private static final String CLOCK = "souverain.clock";
    private static final String MARKS = "souverain.marks";

    private static final Jinjava JINJAVA = create();

    private JinjaEnvironment() {}

    private static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                // Jinja2Source applies jinja2's trim_blocks and lstrip_blocks and drops the template's
                // final newline; Jinjava's versions of these differ
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withKeepTrailingNewline(true)
                .withRangeLimit(100_000) // jinja2's sandbox limit
                // Jinjava would otherwise render again any output holding {{ or {%, so that a user
                // typing "{{ 7*7 }}" would run code in the template
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withAllowAdjacentTextNodes(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        jinjava.setResourceLocator((name, encoding, interpreter) -> {
            throw new IOException("chat templates cannot load other templates: " + name);
        });
        for (Filter filter : PythonFilters.all()) {
            jinjava.registerFilter(filter);
        }
        for (ExpTest test : PythonTests.all()) {
            jinjava.registerExpTest(test);
        }
        jinjava.registerTag(new FilteredForTag());
        function(jinjava, "raise_exception", "raiseException");
        function(jinjava, "strftime_now", "strftimeNow");
        return jinjava;
    }

    /** Registers a function and a global of the same name, so that {@code name is defined} holds as in jinja2. */
    private static void function(Jinjava jinjava, String name, String methodName) {
        try {
            Method method = TemplateFunctions.class.getDeclaredMethod(methodName, Object.class);
            method.setAccessible(true);
            ELFunctionDefinition definition = new ELFunctionDefinition("", name, method);
            jinjava.registerFunction(definition);
            jinjava.getGlobalContext().put(name, definition);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    static String prepare(String source) {
        return Jinja2Source.translate(source);
    }

    /** Parses a prepared template, reporting what is wrong with its tags. */
    static void checkSyntax(String source) {
        JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            interpreter.parse(source);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        failOnErrors(interpreter.getErrors());
    }

    /** Renders a prepared template; {@code marks} is null unless untrusted text is fenced. */
    static String render(String source, Map<String, Object> variables, Clock clock, UntrustedMarks marks) {
        Map<String, Object> bindings = new HashMap<>(variables);
        bindings.put(CLOCK, clock);
        if (marks != null) {
            bindings.put(MARKS, marks);
        }
        RenderResult result = JINJAVA.renderForResult(source, bindings);
        failOnErrors(result.getErrors());
        return result.getOutput();
    }

    static Clock currentClock() {
        return (Clock) JinjavaInterpreter.getCurrent().getContext().get(CLOCK);
    }

    static UntrustedMarks currentMarks() {
        return JinjavaInterpreter.getCurrentMaybe().map(JinjaEnvironment::marks).orElse(null);
    }

    static UntrustedMarks marks(JinjavaInterpreter interpreter) {
        return (UntrustedMarks) interpreter.getContext().get(MARKS);
    }

    /**
     * Jinjava records errors and goes on rendering; jinja2 stops at the first. An exception of ours
     * (raise_exception, a filter refusing its input) is rethrown as it is; any other fatal or
     * syntax error fails the render with Jinjava's description. Warnings about a property missing
     * from a value are not errors: jinja2 reads such a property as undefined too.
     */
    private static void failOnErrors(List<TemplateError> errors) {
        for (TemplateError error : errors) {
            for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
                if (cause instanceof ChatTemplateException ours) {
                    throw ours;
                }
            }
        }
        List<TemplateError> failures = errors.stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL || e.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR)
                .toList();
        if (!failures.isEmpty()) {
            throw new ChatTemplateException("chat template error: " + failures.stream()
                    .map(e -> "line " + e.getLineno() + ": " + e.getMessage())
                    .collect(Collectors.joining("; ")));
        }
    }
}
