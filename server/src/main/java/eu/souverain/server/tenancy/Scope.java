package eu.souverain.server.tenancy;

import java.util.Collection;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** What an API key may be used for. */
public enum Scope {
    /** /v1/chat/completions, /v1/completions, /v1/fim/completions. */
    CHAT,
    /** /v1/embeddings. */
    EMBEDDINGS,
    /** Users, API keys and organizations. */
    ADMIN,
    /** The audit log and the reports. */
    AUDIT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Scope parse(String name) {
        for (Scope scope : values()) {
            if (scope.wireName().equals(name)) {
                return scope;
            }
        }
        throw TenancyException.invalid("scopes", "unknown scope '" + name + "'; one of chat, embeddings, admin, audit");
    }

    /** "chat,embeddings" as a set; empty names and an empty list are refused. */
    public static Set<Scope> parseList(String list) {
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String name : list.split(",", -1)) {
            scopes.add(parse(name.strip()));
        }
        return scopes;
    }

    /** The stored form: wire names in declaration order, comma-separated. */
    public static String join(Collection<Scope> scopes) {
        return EnumSet.copyOf(scopes).stream().map(Scope::wireName).collect(Collectors.joining(","));
    }
}
