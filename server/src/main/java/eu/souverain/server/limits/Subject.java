package eu.souverain.server.limits;

import java.util.Locale;

/**
 * Whom a limit or a counter is about: an organization, one of its groups of users (whose members'
 * calls count together), one of its users, or one of its API keys.
 */
public record Subject(Kind kind, String id) {

    public enum Kind {
        ORGANIZATION, GROUP, USER, KEY;

        String column() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Kind of(String column) {
            return valueOf(column.toUpperCase(Locale.ROOT));
        }
    }

    public Subject {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a limit's subject needs an id");
        }
    }

    /** The counters' name for this subject: ids are globally unique, the kind only makes it readable. */
    String counterKey() {
        return kind.column() + ":" + id;
    }
}
