package eu.souverain.server.tenancy;

import java.util.Locale;
import java.util.regex.Pattern;

/** Checks on the names and addresses people type: refused with the rule they break, never silently changed. */
final class Names {

    static final int MAX_NAME_LENGTH = 100;
    /** RFC 5321's limit on a forward path. */
    static final int MAX_EMAIL_LENGTH = 254;
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");

    private Names() {}

    /** An organization or key name: 1 to 100 characters, no hidden ones ({@link Labels}), no surrounding spaces. */
    static String name(String param, String name) {
        if (name == null || name.isBlank()) {
            throw TenancyException.invalid(param, "the " + param + " must not be empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw TenancyException.invalid(param, "the " + param + " has at most " + MAX_NAME_LENGTH + " characters");
        }
        if (!name.equals(name.strip())) {
            throw TenancyException.invalid(param, "the " + param + " must not begin or end with spaces");
        }
        return Labels.checked(param, name);
    }

    /** An email address, in lower case: it is what signing in names, whatever case it is typed in. */
    static String email(String email) {
        if (email == null || email.isEmpty()) {
            throw TenancyException.invalid("email", "the email must not be empty");
        }
        if (email.length() > MAX_EMAIL_LENGTH) {
            throw TenancyException.invalid("email", "an email address has at most " + MAX_EMAIL_LENGTH + " characters");
        }
        Labels.checked("email", email);
        if (!EMAIL.matcher(email).matches()) {
            throw TenancyException.invalid("email", "'" + email + "' is not an email address (NAME@DOMAIN, no spaces)");
        }
        return email.toLowerCase(Locale.ROOT);
    }
}
