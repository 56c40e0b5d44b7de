package eu.souverain.server.privacy;

/**
 * The kinds of personal data a {@link Redactor} finds. Where two findings overlap, the longer
 * wins; at equal length, the kind listed first, whose check is the stricter.
 */
public enum PiiKind {
    /** An IBAN (ISO 13616), any country, its mod-97 check digits right. */
    IBAN,
    /** A French social security number (NIR), its key right; Corsica's 2A and 2B included. */
    NIR,
    /** A French establishment number (SIRET), its Luhn check right (La Poste's digit-sum rule for its own). */
    SIRET,
    /** A payment card number of 13 to 19 digits, its Luhn check right. */
    CARD,
    /** A French phone number, national or +33, or any international number in E.164 form. */
    PHONE,
    /** An email address. */
    EMAIL
}
