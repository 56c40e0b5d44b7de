package eu.souverain.server.backends;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where a backend runs, as it is declared: who provides the service, who operates the machines,
 * in which country (ISO 3166 alpha-2) and region, under which jurisdiction, with which
 * certifications. The country is null when nobody said; the jurisdiction is then unknown too.
 *
 * @param provider       who provides the model service (the Souverain engine, a vLLM server, Mistral AI)
 * @param operator       who runs the machines it runs on (a host name, a hosting company)
 * @param country        ISO 3166 alpha-2 code, upper case, or null when unknown
 * @param region         a finer place (a data centre, a cloud region), or null
 * @param jurisdiction   the law the operator answers to (EU, EEA, CH, UK, US, ...), or null when unknown
 * @param certifications such as SecNumCloud, ISO 27001; possibly none
 */
public record BackendLocation(String provider, String operator, String country, String region, String jurisdiction,
                              List<String> certifications) {

    /** The member states of the European Union. */
    private static final Set<String> EU = Set.of("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE",
            "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE");
    /** The countries of the European Economic Area outside the Union. */
    private static final Set<String> EEA_ONLY = Set.of("IS", "LI", "NO");
    private static final Set<String> ISO_COUNTRIES = Set.copyOf(List.of(Locale.getISOCountries()));

    public BackendLocation {
        require(provider, "provider");
        require(operator, "operator");
        if (country != null) {
            country = country(country);
        }
        if (jurisdiction == null && country != null) {
            jurisdiction = jurisdictionOf(country);
        }
        certifications = List.copyOf(certifications);
    }

    /**
     * This host, for the engine in this process: the operator and country as configured, else
     * the host's name and the country of the JVM's default locale (null when the locale names none).
     */
    public static BackendLocation thisHost(String operator, String country, String region, List<String> certifications) {
        String localeCountry = Locale.getDefault().getCountry();
        return new BackendLocation("souverain", operator != null ? operator : hostName(),
                country != null ? country : localeCountry.isEmpty() ? null : localeCountry, region, null, certifications);
    }

    /** The jurisdiction a country's law falls under, from a small table; null for a country outside it. */
    public static String jurisdictionOf(String country) {
        if (EU.contains(country)) {
            return "EU";
        }
        if (EEA_ONLY.contains(country)) {
            return "EEA";
        }
        return switch (country) {
            case "CH" -> "CH";
            case "GB" -> "UK";
            case "US" -> "US";
            default -> null;
        };
    }

    /**
     * The jurisdictions a policy may name to admit this location: its own, and the EEA for an EU
     * location, since every member state of the Union is in the Area.
     */
    public List<String> jurisdictions() {
        List<String> all = new ArrayList<>();
        if (jurisdiction != null) {
            all.add(jurisdiction);
            if (jurisdiction.equals("EU")) {
                all.add("EEA");
            }
        }
        return all;
    }

    /** One line for audit entries and messages: "FR/eu-west-1 (EU), operator OVHcloud, provider vLLM". */
    public String describe() {
        String where = (country != null ? country : "country unknown") + (region != null ? "/" + region : "")
                + " (" + (jurisdiction != null ? jurisdiction : "jurisdiction unknown") + ")";
        return where + ", operator " + operator + ", provider " + provider;
    }

    /** An ISO 3166 alpha-2 code, upper-cased; "UK" is refused with a hint, as the code is GB. */
    public static String country(String code) {
        String upper = code.strip().toUpperCase(Locale.ROOT);
        if (upper.equals("UK")) {
            throw new IllegalArgumentException("country 'UK' is not an ISO 3166 code; the United Kingdom is 'GB'");
        }
        if (!ISO_COUNTRIES.contains(upper)) {
            throw new IllegalArgumentException("country '" + code + "' is not an ISO 3166 alpha-2 code (such as FR, DE, US)");
        }
        return upper;
    }

    private static void require(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a backend location needs a " + field);
        }
    }

    /**
     * The host's name as the system keeps it, read without a name lookup (InetAddress.getLocalHost
     * may ask a DNS server, and nothing should leave the machine unasked).
     */
    public static String hostName() {
        String name = System.getenv("HOSTNAME");
        if (name == null || name.isBlank()) {
            try {
                name = Files.readString(Path.of("/etc/hostname")).strip();
            } catch (IOException e) {
                name = null;
            }
        }
        return name == null || name.isBlank() ? "this host" : name;
    }
}
