package eu.souverain.server.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChecksumsTest {

    @Test
    void luhnCatchesEverySingleDigitChange() {
        String valid = "4970101234567893";
        assertThat(Checksums.luhn(valid)).isTrue();
        for (int i = 0; i < valid.length(); i++) {
            for (char d = '0'; d <= '9'; d++) {
                if (d != valid.charAt(i)) {
                    String changed = valid.substring(0, i) + d + valid.substring(i + 1);
                    assertThat(Checksums.luhn(changed)).as(changed).isFalse();
                }
            }
        }
    }

    @Test
    void ibanCheckDigitsAreMod97() {
        assertThat(Checksums.iban("FR7630006000011234567890189")).isTrue();
        assertThat(Checksums.iban("FR7730006000011234567890189")).isFalse();
        assertThat(Checksums.iban("FR7630006000011234567890198")).isFalse();  // swapped digits
        assertThat(Checksums.iban("GB29NWBK60161331926819")).isTrue();
        assertThat(Checksums.iban("GB29NWBL60161331926819")).isFalse();
    }

    @Test
    void theNirKeyCountsCorsicaAs19And18() {
        assertThat(Checksums.nir("185057800608491")).isTrue();
        assertThat(Checksums.nir("185057800608492")).isFalse();
        assertThat(Checksums.nir("180052A00412310")).isTrue();
        assertThat(Checksums.nir("180052B00412310")).isFalse();
        assertThat(Checksums.nir("291122B03304529")).isTrue();
        assertThat(Checksums.nir("291122A03304529")).isFalse();
    }

    @Test
    void laPosteSiretsCheckByDigitSum() {
        assertThat(Checksums.siret("81234567600017")).isTrue();
        assertThat(Checksums.siret("81234567600018")).isFalse();
        assertThat(Checksums.luhn("35600000000100")).isFalse();
        assertThat(Checksums.siret("35600000000100")).isTrue();
        assertThat(Checksums.siret("35600000000101")).isFalse();
        // The digit-sum rule is La Poste's alone.
        assertThat(Checksums.siret("81234567600100")).isFalse();
    }
}
