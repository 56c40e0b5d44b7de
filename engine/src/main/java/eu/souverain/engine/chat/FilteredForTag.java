package eu.souverain.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import com.hubspot.jinjava.util.ObjectTruthValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.lang3.tuple.Pair;

/**
 * Jinjava's for tag plus jinja2's loop filter, {@code {% for key, value in items if key != "x" %}}:
 * Jinjava would read the trailing {@code if} as a conditional expression and loop over everything.
 * As in jinja2, the filter runs before the loop, so {@code loop.last} and {@code loop.length}
 * count only the items kept.
 */
final class FilteredForTag extends ForTag {

    @Override
    public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
        Pair<List<String>, String> varsAndExpression = getLoopVarsAndExpression((TagToken) tagNode.getMaster());
        String expression = varsAndExpression.getRight();
        int filterAt = topLevelIf(expression);
        if (filterAt < 0) {
            return super.interpretUnchecked(tagNode, interpreter);
        }
        List<String> loopVars = varsAndExpression.getLeft();
        String condition = expression.substring(filterAt + 2);
        Object collection = interpreter.resolveELExpression(expression.substring(0, filterAt), tagNode.getLineNumber());
        List<Object> kept = new ArrayList<>();
        try (var _ = interpreter.enterScope()) {
            ForLoop items = ObjectIterator.getLoop(collection);
            while (items.hasNext()) {
                Object item = items.next();
                bind(interpreter, loopVars, item);
                if (ObjectTruthValue.evaluate(interpreter.resolveELExpression(condition, tagNode.getLineNumber()))) {
                    kept.add(item);
                }
            }
        }
        return renderForCollection(tagNode, interpreter, loopVars, kept);
    }

    private static void bind(JinjavaInterpreter interpreter, List<String> loopVars, Object item) {
        if (loopVars.size() == 1) {
            interpreter.getContext().put(loopVars.getFirst(), item);
            return;
        }
        for (int i = 0; i < loopVars.size(); i++) {
            interpreter.getContext().put(loopVars.get(i), unpack(item, i, loopVars.size()));
        }
    }

    private static Object unpack(Object item, int i, int count) {
        return switch (item) {
            case Map.Entry<?, ?> entry when count == 2 -> i == 0 ? entry.getKey() : entry.getValue();
            case List<?> values when i < values.size() -> values.get(i);
            default -> null;
        };
    }

    /** Index of the first {@code if} keyword outside brackets and string literals, or -1. */
    static int topLevelIf(String expression) {
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && expression.startsWith("if", i) && i > 0 && Character.isWhitespace(expression.charAt(i - 1))
                    && i + 2 < expression.length() && (Character.isWhitespace(expression.charAt(i + 2)) || expression.charAt(i + 2) == '(')) {
                return i;
            }
        }
        return -1;
    }
}
