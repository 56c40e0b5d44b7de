package eu.souverain.server.tenancy;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How long a key lives, as people write it: 30d, 12h, 90m. */
public final class Durations {

    private static final Pattern DURATION = Pattern.compile("([1-9][0-9]{0,5})([dhm])");

    private Durations() {}

    public static Duration parse(String param, String text) {
        Matcher m = text == null ? null : DURATION.matcher(text);
        if (m == null || !m.matches()) {
            throw TenancyException.invalid(param, "'" + text + "' is not a duration: a whole number of days, hours"
                    + " or minutes, e.g. 30d, 12h or 90m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "d" -> Duration.ofDays(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofMinutes(n);
        };
    }
}
