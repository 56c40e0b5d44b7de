package eu.souverain.server.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PasswordsTest {

    @Test
    void hashesWithArgon2idAndAFreshSaltEachTime() {
        String first = Passwords.hash("correct horse battery staple");
        String second = Passwords.hash("correct horse battery staple");
        assertThat(first).matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        assertThat(second).isNotEqualTo(first);
        assertThat(Passwords.verify("correct horse battery staple", first)).isTrue();
        assertThat(Passwords.verify("correct horse battery staple", second)).isTrue();
        assertThat(Passwords.verify("correct horse battery stapler", first)).isFalse();
        assertThat(Passwords.verify("", first)).isFalse();
    }

    /** A hash made by the reference implementation's command line (argon2 ... -id -t 2 -m 10 -p 1): other parameters still verify. */
    @Test
    void verifiesTheReferenceImplementationsHash() {
        String reference = "$argon2id$v=19$m=1024,t=2,p=1$c291dmVyYWluLXNhbHQxNg$G2oSpuchY2gkCzY5OhAN1z+KxeBTfh0Dybpu9bU76bk";
        assertThat(Passwords.verify("correct horse battery staple", reference)).isTrue();
        assertThat(Passwords.verify("correct horse battery stapl", reference)).isFalse();
    }

    @Test
    void refusesPasswordsTooShortOrTooLongAndHashesThatAreNotArgon2id() {
        assertThatThrownBy(() -> Passwords.requireAcceptable("eleven char")).hasMessageContaining("at least 12");
        assertThatThrownBy(() -> Passwords.requireAcceptable("x".repeat(1025))).hasMessageContaining("at most 1024");
        Passwords.requireAcceptable("twelve chars");
        assertThatThrownBy(() -> Passwords.verify("x", "$2b$12$abcdefghijklmnopqrstuv"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
