package eu.souverain.engine.chat;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.time.temporal.IsoFields;
import java.util.Locale;

/**
 * Python's {@code datetime.now().strftime} (a naive local time) in the C locale, as glibc formats it (Python hands the format
 * to the C library): the common directives, the {@code -} flag that drops padding, and any unknown
 * directive copied as it is.
 */
final class PythonStrftime {

    private PythonStrftime() {}

    static String format(ZonedDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            boolean unpadded = format.charAt(i + 1) == '-' && i + 2 < format.length();
            char directive = format.charAt(unpadded ? i + 2 : i + 1);
            String value = directive(t, directive, unpadded);
            if (value == null) {
                out.append(format, i, unpadded ? i + 3 : i + 2);
            } else {
                out.append(value);
            }
            i += unpadded ? 2 : 1;
        }
        return out.toString();
    }

    private static String directive(ZonedDateTime t, char directive, boolean unpadded) {
        return switch (directive) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
            case 'd' -> number(t.getDayOfMonth(), 2, unpadded);
            case 'e' -> unpadded ? Integer.toString(t.getDayOfMonth()) : String.format("%2d", t.getDayOfMonth());
            case 'm' -> number(t.getMonthValue(), 2, unpadded);
            case 'y' -> number(t.getYear() % 100, 2, unpadded);
            case 'Y' -> Integer.toString(t.getYear());
            case 'H' -> number(t.getHour(), 2, unpadded);
            case 'I' -> number(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, unpadded);
            case 'M' -> number(t.getMinute(), 2, unpadded);
            case 'S' -> number(t.getSecond(), 2, unpadded);
            case 'f' -> number(t.getNano() / 1000, 6, unpadded);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'j' -> number(t.getDayOfYear(), 3, unpadded);
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
            case 'V' -> number(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2, unpadded);
            case 'G' -> Integer.toString(t.get(IsoFields.WEEK_BASED_YEAR));
            case 'z', 'Z' -> ""; // strftime_now formats a naive local time, which has no zone
            case 'F' -> format(t, "%Y-%m-%d");
            case 'D', 'x' -> format(t, "%m/%d/%y");
            case 'T', 'X' -> format(t, "%H:%M:%S");
            case 'R' -> format(t, "%H:%M");
            case 'c' -> format(t, "%a %b %e %H:%M:%S %Y");
            case 's' -> Long.toString(t.toEpochSecond());
            case 'n' -> "\n";
            case 't' -> "\t";
            case '%' -> "%";
            default -> null;
        };
    }

    private static String number(int value, int width, boolean unpadded) {
        return unpadded ? Integer.toString(value) : String.format("%0" + width + "d", value);
    }
}
