package eu.souverain.server.privacy;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * An organization's redaction of requests leaving for remote backends: on or off, and which kinds
 * of personal data it replaces. The local engine never sees redacted text: nothing leaves for it.
 */
public record RedactionSettings(boolean enabled, Set<PiiKind> kinds) {

    /** What an organization has until an admin turns redaction on. */
    public static final RedactionSettings OFF = new RedactionSettings(false, EnumSet.allOf(PiiKind.class));

    public RedactionSettings {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("kinds must name at least one kind of personal data: "
                    + String.join(", ", wireNames(EnumSet.allOf(PiiKind.class))));
        }
        kinds = Set.copyOf(EnumSet.copyOf(kinds));
    }

    /** The redactor to apply, when redaction is on. */
    public Optional<Redactor> redactor() {
        return enabled ? Optional.of(new Redactor(kinds)) : Optional.empty();
    }

    /** The kinds as the API writes them, in the order of {@link PiiKind}: iban, nir, siret, card, phone, email. */
    public List<String> kindNames() {
        return wireNames(kinds);
    }

    private static List<String> wireNames(Set<PiiKind> kinds) {
        return EnumSet.copyOf(kinds).stream().map(k -> k.name().toLowerCase(Locale.ROOT)).toList();
    }

    /** A kind by its wire name, case-insensitive. */
    public static PiiKind kind(String name) {
        for (PiiKind kind : PiiKind.values()) {
            if (kind.name().equalsIgnoreCase(name)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown kind of personal data '" + name + "'; one of "
                + String.join(", ", wireNames(EnumSet.allOf(PiiKind.class))));
    }
}
