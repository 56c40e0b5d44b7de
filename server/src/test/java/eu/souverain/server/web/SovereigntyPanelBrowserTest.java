package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Role;
import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;

/**
 * The sovereignty panel of a conversation with an answer, in the browser: where it is stored, that
 * it is encrypted, whose it is, and the backend and location of the answer, as the API states them.
 */
class SovereigntyPanelBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    /** A conversation of the signed-in person with one answered turn, opened in the chat; its id. */
    private static String answeredConversation() throws IOException {
        String id = JSON.readTree(browser.api("post", "/v1/conversations", "{\"title\": \"Panel\"}")).get("id").asText();
        String answer = browser.api("post", "/v1/conversations/" + id + "/completions", """
                {"content": "Once upon a time", "model": "%s", "max_tokens": 8, "seed": 1}""".formatted(WebServer.STORIES));
        assertThat(answer).doesNotStartWith("error");
        browser.driver.get(browser.server.url() + "#/chat/" + id);
        browser.until(d -> !d.findElements(By.cssSelector(".message.assistant")).isEmpty());
        // Made through the API after the list was read: the list reads it again, marking it open.
        browser.until(d -> d.findElements(By.cssSelector("#conversation-list a[aria-current=page]")).size() == 1);
        return id;
    }

    private static String text(By by) {
        return browser.driver.findElement(by).getText();
    }

    @Test
    void thePanelShowsStorageEncryptionAccessAndTheBackendOfEachAnswer() throws IOException {
        String email = browser.server.newUser(Role.MEMBER);
        browser.signIn(email);
        // A new conversation, not stored yet, has nothing to show.
        assertThat(browser.driver.findElements(By.id("sovereignty-toggle"))).allMatch(button -> !button.isDisplayed());
        String id = answeredConversation();

        browser.waitFor(By.id("sovereignty-toggle")).click();
        browser.waitFor(By.cssSelector("#side-panel .answer-backend"));
        assertThat(browser.driver.findElement(By.id("sovereignty-toggle")).getAttribute("aria-expanded")).isEqualTo("true");
        assertThat(browser.driver.switchTo().activeElement().getAttribute("id")).isEqualTo("sovereignty-title");

        JsonNode model = null;
        for (JsonNode m : JSON.readTree(browser.api("get", "/v1/models", null)).get("data")) {
            if (m.get("id").asText().equals(WebServer.STORIES)) {
                model = m;
            }
        }
        assertThat(text(By.cssSelector("#side-panel .answer-backend"))).isEqualTo(model.get("backend").asText());
        String location = text(By.cssSelector("#side-panel .answer-location"));
        assertThat(location).contains(model.get("location").get("operator").asText());
        assertThat(text(By.id("sovereignty-server-location"))).isEqualTo(location);
        assertThat(text(By.id("sovereignty-store"))).startsWith("SQLite file ").endsWith(Database.SQLITE_FILE);
        assertThat(text(By.id("sovereignty-encrypted"))).isEqualTo("yes");
        assertThat(text(By.id("sovereignty-owner"))).startsWith(email);
        assertThat(text(By.cssSelector("section[aria-labelledby='sovereignty-access']"))).contains(WebServer.OWNER);
        // A member has no report to read: no link to it.
        assertThat(browser.driver.findElements(By.id("sovereignty-report-link"))).isEmpty();
        browser.screenshot("sovereignty-panel");
        browser.script("document.getElementById('sovereignty-answers').scrollIntoView()");
        browser.screenshot("sovereignty-panel-answers");

        // A new answer from the chat, the panel open: it reads the facts again once the answer is kept.
        browser.driver.findElement(By.id("composer-input")).sendKeys("And then?", Keys.ENTER);
        browser.until(d -> d.findElements(By.cssSelector("#side-panel .answer-fact")).size() == 2);
        assertThat(browser.driver.getCurrentUrl()).endsWith("#/chat/" + id);

        browser.width(390);
        browser.screenshot("sovereignty-panel-phone");
        browser.driver.findElement(By.id("sovereignty-close")).click();
        assertThat(browser.driver.findElement(By.id("side-panel")).isDisplayed()).isFalse();
        assertThat(browser.driver.switchTo().activeElement().getAttribute("id")).isEqualTo("sovereignty-toggle");
        browser.driver.switchTo().activeElement().click();
        browser.waitFor(By.id("sovereignty-title")).sendKeys(Keys.ESCAPE);
        browser.until(d -> !d.findElement(By.id("side-panel")).isDisplayed());
    }

    @Test
    void thePanelListsTheLibrariesItsAnswersDrewFromInEnglishAndFrench() throws Exception {
        String email = browser.server.newUser(Role.MEMBER);
        browser.signIn(email);
        String library = JSON.readTree(browser.api("post", "/v1/libraries", "{\"name\": \"Site safety\"}"))
                .get("id").asText();
        String uploaded = (String) ((org.openqa.selenium.JavascriptExecutor) browser.driver).executeAsyncScript("""
                const [library, done] = arguments;
                import('/js/api.js').then((m) => m.api.upload('/v1/libraries/' + library + '/documents',
                    new File(['The fire drill takes place every second Tuesday at ten.'], 'drill.txt',
                        { type: 'text/plain' }), () => {}))
                  .then((reply) => done(JSON.stringify(reply)), (e) => done('error: ' + e.message));
                """, library);
        String document = JSON.readTree(uploaded).get("id").asText();
        browser.until(d -> {
            try {
                return JSON.readTree(browser.api("get", "/v1/libraries/" + library + "/documents/" + document
                        + "/status", null)).get("processing_status").asText().equals("Completed");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String id = JSON.readTree(browser.api("post", "/v1/conversations", "{\"title\": \"Drill\"}")).get("id").asText();
        String answer = browser.api("post", "/v1/conversations/" + id + "/completions", """
                {"content": "When is the fire drill?", "model": "%s", "max_tokens": 8, "seed": 1,
                 "library_ids": ["%s"]}""".formatted(WebServer.STORIES, library));
        assertThat(JSON.readTree(answer).get("references")).isNotEmpty();
        browser.driver.get(browser.server.url() + "#/chat/" + id);
        browser.until(d -> !d.findElements(By.cssSelector(".message.assistant")).isEmpty());

        browser.waitFor(By.id("sovereignty-toggle")).click();
        browser.waitFor(By.cssSelector("#side-panel .library-fact"));
        String shown = text(By.cssSelector("section[aria-labelledby='sovereignty-libraries']"));
        assertThat(shown).contains("Libraries it drew from", "Site safety", library, "documents: 1", "55 bytes", "indexed passages: 1",
                "one answer of this conversation", "owner", "library_documents", "AES-256-GCM", "AES-256-CTR");
        assertThat(text(By.id("sovereignty-library-index"))).endsWith("/index");
        browser.script("document.getElementById('sovereignty-libraries').scrollIntoView()");
        browser.screenshot("sovereignty-panel-libraries");

        browser.driver.findElement(By.id("language")).click();
        browser.until(d -> d.findElement(By.id("sovereignty-libraries")).getText().equals("Bibliothèques consultées"));
        assertThat(text(By.cssSelector("section[aria-labelledby='sovereignty-libraries']")))
                .contains("Site safety", "documents : 1", "55 octets", "une réponse de cette conversation", "propriétaire");
        browser.script("document.getElementById('sovereignty-libraries').scrollIntoView()");
        browser.screenshot("sovereignty-panel-libraries-fr");
        browser.driver.findElement(By.id("language")).click();
    }

    @Test
    void theOwnersPanelLinksToTheFullReport() throws IOException {
        browser.signIn(WebServer.OWNER);
        answeredConversation();
        browser.waitFor(By.id("sovereignty-toggle")).click();
        browser.waitFor(By.id("sovereignty-report-link")).click();
        browser.waitFor(By.id("report-title"));
        assertThat(browser.driver.getCurrentUrl()).endsWith("#/report");
    }
}
