package eu.souverain.server.privacy;

/** The check-digit rules that tell an identifier from any other run of digits. */
final class Checksums {

    private Checksums() {}

    /** Luhn: from the right, every second digit doubled (less 9 past 9); the sum is a multiple of 10. */
    static boolean luhn(String digits) {
        int sum = 0;
        for (int i = 0; i < digits.length(); i++) {
            int d = digits.charAt(digits.length() - 1 - i) - '0';
            if (i % 2 == 1) {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    /**
     * ISO 13616: the first four characters moved to the end, letters read as 10 to 35, the whole
     * number mod 97 is 1.
     */
    static boolean iban(String compact) {
        String rearranged = compact.substring(4) + compact.substring(0, 4);
        int remainder = 0;
        for (int i = 0; i < rearranged.length(); i++) {
            int value = Character.digit(rearranged.charAt(i), 36);
            remainder = (value < 10 ? remainder * 10 + value : remainder * 100 + value) % 97;
        }
        return remainder == 1;
    }

    /**
     * The NIR's key is 97 less its first 13 digits mod 97; for Corsica, the department 2A counts
     * as 19 and 2B as 18.
     */
    static boolean nir(String compact) {
        String department = compact.substring(5, 7);
        String number = compact.substring(0, 5)
                + switch (department) {
                    case "2A" -> "19";
                    case "2B" -> "18";
                    default -> department;
                }
                + compact.substring(7, 13);
        long key = 97 - Long.parseLong(number) % 97;
        return key == Long.parseLong(compact.substring(13));
    }

    /** La Poste's establishments share one SIREN and take a digit sum that is a multiple of 5 instead of Luhn. */
    static boolean siret(String digits) {
        if (luhn(digits)) {
            return true;
        }
        return digits.startsWith(LA_POSTE_SIREN) && digits.chars().map(c -> c - '0').sum() % 5 == 0;
    }

    static final String LA_POSTE_SIREN = "356000000";
}
