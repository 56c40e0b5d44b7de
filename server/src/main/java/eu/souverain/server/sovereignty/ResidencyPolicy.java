package eu.souverain.server.sovereignty;

import eu.souverain.server.backends.Backend;
import eu.souverain.server.backends.BackendLocation;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where an organization's requests may be served: whether remote backends may be used at all,
 * and the jurisdictions, countries and operators allowed (an empty list allows any). The local
 * engine is always allowed unless its own location breaks one of the lists.
 *
 * @param remoteBackends whether a request may leave this server for a remote backend
 * @param jurisdictions  such as EU, EEA, CH, UK, US; EEA admits the EU's member states too
 * @param countries      ISO 3166 alpha-2 codes
 * @param operators      operators' names as backends declare them, compared ignoring case
 */
public record ResidencyPolicy(boolean remoteBackends, List<String> jurisdictions, List<String> countries,
                              List<String> operators) {

    /** Until an admin says otherwise, nothing leaves this server: the local engine only. */
    public static final ResidencyPolicy DEFAULT = new ResidencyPolicy(false, List.of(), List.of(), List.of());

    private static final Pattern JURISDICTION = Pattern.compile("[A-Z]{2,10}");

    /** Normalises the codes to upper case; throws IllegalArgumentException naming a malformed entry. */
    public ResidencyPolicy {
        jurisdictions = jurisdictions.stream().map(j -> {
            String upper = j.strip().toUpperCase(Locale.ROOT);
            if (!JURISDICTION.matcher(upper).matches()) {
                throw new IllegalArgumentException("jurisdiction '" + j + "' must be a code such as EU, EEA, CH, UK, US");
            }
            return upper;
        }).distinct().toList();
        countries = countries.stream().map(BackendLocation::country).distinct().toList();
        operators = operators.stream().map(o -> {
            if (o.isBlank() || o.length() > 200) {
                throw new IllegalArgumentException("an operator must be a name of 1 to 200 characters");
            }
            return o.strip();
        }).distinct().toList();
    }

    /**
     * Why {@code backend} may not serve {@code who} under this policy, naming the rule it breaks,
     * or empty when it may; {@code who} begins the sentence ("organization 'Acme'").
     */
    public Optional<String> refusal(String who, Backend backend) {
        BackendLocation at = backend.location();
        String name = "backend '" + backend.name() + "'";
        if (backend.remote() && !remoteBackends) {
            return Optional.of(who + " allows no remote backend; " + name + " is remote (" + at.describe() + ")");
        }
        if (!jurisdictions.isEmpty() && at.jurisdictions().stream().noneMatch(jurisdictions::contains)) {
            return Optional.of(who + " allows jurisdictions " + jurisdictions + "; " + name + " is in "
                    + (at.jurisdiction() != null ? at.jurisdiction() : unknown(backend, "jurisdiction")));
        }
        if (!countries.isEmpty() && (at.country() == null || !countries.contains(at.country()))) {
            return Optional.of(who + " allows countries " + countries + "; " + name + " is in "
                    + (at.country() != null ? at.country() : unknown(backend, "country")));
        }
        if (!operators.isEmpty() && operators.stream().noneMatch(o -> o.equalsIgnoreCase(at.operator()))) {
            return Optional.of(who + " allows operators " + operators + "; " + name + " is operated by "
                    + at.operator());
        }
        return Optional.empty();
    }

    private static String unknown(Backend backend, String what) {
        return "an unknown " + what + (backend.remote() ? "" : " (start serve with --country)");
    }
}
