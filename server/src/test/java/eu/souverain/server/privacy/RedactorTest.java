package eu.souverain.server.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RedactorTest {

    private static final Pattern MARK = Pattern.compile("\\{\\{(\\[?[A-Z]+_\\d+\\]?):(.*?)\\}\\}");

    /** One corpus line: the text as written, what redacting it must give, and the placeholders' values. */
    record Case(int line, String text, String redacted, Map<String, String> placeholders, boolean restorable) {
        @Override
        public String toString() {
            return "line " + line + ": " + text;
        }
    }

    static List<Case> corpus() throws IOException {
        String file;
        try (InputStream in = RedactorTest.class.getResourceAsStream("pii-corpus.txt")) {
            file = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<Case> cases = new ArrayList<>();
        List<String> lines = file.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            StringBuilder text = new StringBuilder();
            StringBuilder redacted = new StringBuilder();
            Map<String, String> placeholders = new LinkedHashMap<>();
            boolean restorable = true;
            Matcher m = MARK.matcher(line);
            int at = 0;
            while (m.find()) {
                String placeholder = "[" + m.group(1) + "]";
                text.append(line, at, m.start()).append(m.group(2));
                redacted.append(line, at, m.start()).append(placeholder);
                String first = placeholders.putIfAbsent(placeholder, m.group(2));
                restorable &= first == null || first.equals(m.group(2));
                at = m.end();
            }
            text.append(line.substring(at));
            redacted.append(line.substring(at));
            cases.add(new Case(i + 1, text.toString(), redacted.toString(), placeholders, restorable));
        }
        return cases;
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void findsExactlyTheMarkedValues(Case c) {
        Redaction redaction = Redactor.all().redact(c.text());
        assertThat(redaction.text()).isEqualTo(c.redacted());
        assertThat(redaction.placeholders()).containsExactlyEntriesOf(c.placeholders());
        if (c.restorable()) {
            assertThat(redaction.restore(redaction.text())).isEqualTo(c.text());
        }
    }

    @Test
    void theCorpusHasEveryKindAndCleanLines() throws IOException {
        List<Case> cases = corpus();
        for (PiiKind kind : PiiKind.values()) {
            assertThat(cases).anySatisfy(c -> assertThat(c.redacted()).contains("[" + kind + "_1]"));
        }
        assertThat(cases.stream().filter(c -> c.placeholders().isEmpty()).count()).isGreaterThanOrEqualTo(15);
    }

    @Test
    void onlyTheChosenKindsAreFound() {
        String text = "Mail a@b.fr, tél 06 12 34 56 78, IBAN FR7630006000011234567890189.";
        assertThat(new Redactor(EnumSet.of(PiiKind.PHONE)).redact(text).text())
                .isEqualTo("Mail a@b.fr, tél [PHONE_1], IBAN FR7630006000011234567890189.");
        assertThat(new Redactor(EnumSet.of(PiiKind.EMAIL, PiiKind.IBAN)).redact(text).text())
                .isEqualTo("Mail [EMAIL_1], tél 06 12 34 56 78, IBAN [IBAN_1].");
        assertThatThrownBy(() -> new Redactor(EnumSet.noneOf(PiiKind.class)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one kind");
    }

    @Test
    void theMessagesOfOneRequestShareTheirPlaceholders() {
        Redaction redaction = Redactor.all().redact(List.of(
                "Je suis jean@example.fr, joignable au 06 12 34 56 78.",
                "Rappelez +33 6 12 34 56 78 ou écrivez à paul@example.fr.",
                "Rien ici."));
        assertThat(redaction.texts()).containsExactly(
                "Je suis [EMAIL_1], joignable au [PHONE_1].",
                "Rappelez [PHONE_1] ou écrivez à [EMAIL_2].",
                "Rien ici.");
        assertThat(redaction.placeholders()).containsExactly(
                Map.entry("[EMAIL_1]", "jean@example.fr"),
                Map.entry("[PHONE_1]", "06 12 34 56 78"),
                Map.entry("[EMAIL_2]", "paul@example.fr"));
        assertThatThrownBy(redaction::text).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPlaceholderAlreadyInAnyMessageIsNotReused() {
        Redaction redaction = Redactor.all().redact(List.of("a@b.fr", "the model said [EMAIL_1] and [EMAIL_2]"));
        assertThat(redaction.texts().getFirst()).isEqualTo("[EMAIL_3]");
        assertThat(redaction.restore("[EMAIL_1] [EMAIL_3]")).isEqualTo("[EMAIL_1] a@b.fr");
    }

    static Stream<String> answers() {
        return Stream.of(
                "Bien sûr : écrivez à [EMAIL_1] ou appelez le [PHONE_1].",
                "[IBAN_1]",
                "[EMAIL_1][PHONE_1][EMAIL_1]",
                "Liste [1] et [EMAIL_] et [EMAIL_10] et [PHONE_2] puis [[EMAIL_1]] fin [EMAIL_1",
                "Rien à remplacer ici, même pas [ ni ].");
    }

    @ParameterizedTest
    @MethodSource("answers")
    void aStreamSplitAnywhereRestoresAsTheWholeDoes(String answer) {
        Redaction redaction = Redactor.all().redact("jean@example.fr, 06 12 34 56 78, FR76 3000 6000 0112 3456 7890 189");
        assertThat(redaction.placeholders()).containsOnlyKeys("[EMAIL_1]", "[PHONE_1]", "[IBAN_1]");
        String whole = redaction.restore(answer);
        for (int i = 0; i <= answer.length(); i++) {
            for (int j = i; j <= answer.length(); j++) {
                Restorer restorer = redaction.restorer();
                String streamed = restorer.push(answer.substring(0, i)) + restorer.push(answer.substring(i, j))
                        + restorer.push(answer.substring(j)) + restorer.finish();
                assertThat(streamed).as("split at %d and %d", i, j).isEqualTo(whole);
            }
        }
        Restorer restorer = redaction.restorer();
        StringBuilder byChar = new StringBuilder();
        for (char c : answer.toCharArray()) {
            byChar.append(restorer.push(String.valueOf(c)));
        }
        assertThat(byChar.append(restorer.finish()).toString()).isEqualTo(whole);
    }

    @Test
    void wholeAnswersRestoreEveryPlaceholder() {
        Redaction redaction = Redactor.all().redact("jean@example.fr, 06 12 34 56 78, FR76 3000 6000 0112 3456 7890 189");
        assertThat(redaction.restore("Bien sûr : écrivez à [EMAIL_1] ou appelez le [PHONE_1]. [IBAN_1]"))
                .isEqualTo("Bien sûr : écrivez à jean@example.fr ou appelez le 06 12 34 56 78. FR76 3000 6000 0112 3456 7890 189");
        assertThat(redaction.restore("[EMAIL_10] [PHONE_2] [EMAIL_1")).isEqualTo("[EMAIL_10] [PHONE_2] [EMAIL_1");
    }

    @Test
    void onlyWhatCouldStillBecomeAPlaceholderIsHeldBack() {
        Redaction redaction = Redactor.all().redact("jean@example.fr");
        Restorer restorer = redaction.restorer();
        assertThat(restorer.push("Écrivez à ")).isEqualTo("Écrivez à ");
        assertThat(restorer.push("[")).isEmpty();
        assertThat(restorer.push("EMA")).isEmpty();
        assertThat(restorer.push("IL_1] ou [")).isEqualTo("jean@example.fr ou ");
        assertThat(restorer.push("x] [EMAIL_2")).isEqualTo("[x] [EMAIL_2");
        assertThat(restorer.push(" [EMAIL_")).isEqualTo(" ");
        assertThat(restorer.finish()).isEqualTo("[EMAIL_");
        assertThat(restorer.finish()).isEmpty();
    }

    @Test
    void tenAndMoreValuesOfAKindKeepTheirPlaceholdersApart() {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 12; i++) {
            text.append("user").append(i).append("@example.fr ");
        }
        Redaction redaction = Redactor.all().redact(text.toString());
        assertThat(redaction.placeholders()).hasSize(12).containsEntry("[EMAIL_1]", "user1@example.fr")
                .containsEntry("[EMAIL_10]", "user10@example.fr").containsEntry("[EMAIL_12]", "user12@example.fr");
        Restorer restorer = redaction.restorer();
        StringBuilder byChar = new StringBuilder();
        for (char c : redaction.text().toCharArray()) {
            byChar.append(restorer.push(String.valueOf(c)));
        }
        assertThat(byChar.append(restorer.finish()).toString()).isEqualTo(text.toString());
    }

    @Test
    void withNothingFoundTheAnswerPassesStraightThrough() {
        Redaction redaction = Redactor.all().redact("Bonjour, comment allez-vous ?");
        assertThat(redaction.text()).isEqualTo("Bonjour, comment allez-vous ?");
        assertThat(redaction.placeholders()).isEmpty();
        Restorer restorer = redaction.restorer();
        assertThat(restorer.push("[EMAIL_")).isEqualTo("[EMAIL_");
        assertThat(restorer.finish()).isEmpty();
    }
}
