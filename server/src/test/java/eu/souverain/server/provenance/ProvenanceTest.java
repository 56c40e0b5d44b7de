package eu.souverain.server.provenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProvenanceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEXT = "Il était une fois un renard qui parlait breton.";

    @TempDir
    Path data;

    private SignedStatement signed(ProvenanceSigner signer, String text) {
        return signer.sign(Statement.of("chatcmpl-abc", 1_796_000_000L, "stories260K", "local", "FR/paris", "org_1", text));
    }

    @Test
    void aSignedStatementVerifiesForItsTextAndNoOther() {
        ProvenanceSigner signer = ProvenanceSigner.open(data.resolve(ProvenanceSigner.FILE));
        ProvenanceVerifier verifier = ProvenanceVerifier.of(signer.publicKeyset());
        SignedStatement statement = signed(signer, TEXT);

        assertThat(verifier.verify(statement, TEXT).ok()).isTrue();
        for (int i = 0; i < TEXT.length(); i++) {
            String changed = TEXT.substring(0, i) + (char) (TEXT.charAt(i) + 1) + TEXT.substring(i + 1);
            ProvenanceVerifier.Verdict verdict = verifier.verify(statement, changed);
            assertThat(verdict.ok()).as("text changed at %d", i).isFalse();
            assertThat(verdict.reason()).contains("SHA-256");
        }
    }

    @Test
    void changingAnyCharacterOfTheStatementBreaksItsSignature() throws Exception {
        ProvenanceSigner signer = ProvenanceSigner.open(data.resolve(ProvenanceSigner.FILE));
        ProvenanceVerifier verifier = ProvenanceVerifier.of(signer.publicKeyset());
        String json = JSON.writeValueAsString(signed(signer, TEXT).json());
        int checked = 0;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (!Character.isLetterOrDigit(c)) {
                continue; // a changed quote or brace only makes the JSON unreadable
            }
            String changed = json.substring(0, i) + (c == 'a' ? 'b' : 'a') + json.substring(i + 1);
            SignedStatement tampered;
            try {
                tampered = SignedStatement.from(JSON.readTree(changed));
            } catch (IllegalArgumentException | IOException refused) {
                checked++;
                continue; // no longer JSON, or a field no longer readable (a type, a hash's shape, a name) is refused
            }
            assertThat(verifier.verify(tampered, TEXT).ok()).as("statement changed at %d: %s", i, changed).isFalse();
            checked++;
        }
        assertThat(checked).isGreaterThan(200);
    }

    @Test
    void anotherServersKeyDoesNotVerify() {
        ProvenanceSigner ours = ProvenanceSigner.open(data.resolve(ProvenanceSigner.FILE));
        ProvenanceSigner theirs = ProvenanceSigner.open(data.resolve("other-" + ProvenanceSigner.FILE));
        ProvenanceVerifier.Verdict verdict = ProvenanceVerifier.of(ours.publicKeyset()).verify(signed(theirs, TEXT), TEXT);
        assertThat(verdict.ok()).isFalse();
        assertThat(verdict.reason()).contains("signature");
    }

    @Test
    void theKeyIsKeptAndReopened() {
        Path file = data.resolve(ProvenanceSigner.FILE);
        ProvenanceSigner first = ProvenanceSigner.open(file);
        ProvenanceSigner again = ProvenanceSigner.open(file);
        assertThat(again.keyId()).isEqualTo(first.keyId());
        assertThat(ProvenanceVerifier.of(again.publicKeyset()).verify(signed(first, TEXT), TEXT).ok()).isTrue();
    }

    @Test
    void aCopiedTextCarriesItsStatementAndComesApartExactly() {
        ProvenanceSigner signer = ProvenanceSigner.open(data.resolve(ProvenanceSigner.FILE));
        String text = "Line one\n\nLine three, after an empty line\n";
        String copied = signed(signer, text).appendTo(text);

        List<SignedStatement.Attached> found = SavedAnswers.read(copied);
        assertThat(found).hasSize(1);
        assertThat(found.getFirst().text()).isEqualTo(text);
        assertThat(ProvenanceVerifier.of(signer.publicKeyset()).verify(found.getFirst().statement(), found.getFirst().text())
                .ok()).isTrue();
        SignedStatement.Attached edited = SavedAnswers.read("X" + copied).getFirst();
        assertThat(ProvenanceVerifier.of(signer.publicKeyset()).verify(edited.statement(), edited.text()).ok()).isFalse();
    }

    @Test
    void aSavedResponseIsReadChoiceByChoice() throws Exception {
        ProvenanceSigner signer = ProvenanceSigner.open(data.resolve(ProvenanceSigner.FILE));
        String calls = GeneratedText.of(null, List.of(new GeneratedText.Call("get_weather", "{\"city\":\"Lyon\"}")));
        Map<String, Object> response = Map.of(
                "provenance", signed(signer, TEXT).json(),
                "choices", List.of(
                        Map.of("index", 0, "message", Map.of("role", "assistant", "content", TEXT)),
                        Map.of("index", 1, "message", Map.of("role", "assistant", "tool_calls", List.of(Map.of(
                                "id", "call_1", "type", "function",
                                "function", Map.of("name", "get_weather", "arguments", "{\"city\":\"Lyon\"}")))),
                                "provenance", signed(signer, calls).json())));
        List<SignedStatement.Attached> found = SavedAnswers.read(JSON.writeValueAsString(response));
        ProvenanceVerifier verifier = ProvenanceVerifier.of(signer.publicKeyset());
        assertThat(found).hasSize(2).allSatisfy(a -> assertThat(verifier.verify(a.statement(), a.text()).ok()).isTrue());
    }

    @Test
    void whatIsNotAStatementIsRefusedByName() {
        assertThatThrownBy(() -> SavedAnswers.read("just some text")).hasMessageContaining("found no provenance");
        assertThatThrownBy(() -> SavedAnswers.read("{\"choices\": []}")).hasMessageContaining("no 'provenance'");
        assertThatThrownBy(() -> SignedStatement.fromToken("not base64 !")).hasMessageContaining("base64url");
        assertThatThrownBy(() -> SignedStatement.from(JSON.readTree("{\"type\": \"other\"}")))
                .hasMessageContaining("not a Souverain provenance statement");
    }
}
