package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.documents.TestCorpus;
import eu.souverain.server.tenancy.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The Libraries page and answers from a library, in the browser: a library created, a PDF uploaded
 * through the file button and a Markdown file dropped on the page, both processed; then in the
 * chat, the library picked, an answer whose sources open the cited passage in the side panel and
 * close with Esc; the conversation reopened (the page reloaded), its answer cites the same sources,
 * whose passage is read from the document, and once the document is deleted says it is gone; in
 * English and in French, with screenshots.
 */
class LibrariesBrowserTest {

    private static Browser browser;

    @TempDir
    static Path dir;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    private static void awaitReady(int documents) {
        browser.until(d -> d.findElements(By.cssSelector("#documents tr[data-status=Completed]")).size() == documents);
    }

    @Test
    void aLibraryIsMadeFilledByButtonAndDropAndAnsweredFromWithItsSources() throws Exception {
        String email = browser.server.newUser(Role.MEMBER);
        browser.signIn(email);
        browser.driver.get(browser.server.url() + "#/libraries");
        browser.waitFor(By.id("library-name")).sendKeys("Safety handbook", Keys.ENTER);
        browser.waitFor(By.id("library-title"));
        assertThat(browser.driver.switchTo().activeElement().getAttribute("id")).isEqualTo("library-title");
        browser.screenshot("libraries-empty");

        Path pdf = dir.resolve("fire-drill.pdf");
        Files.write(pdf, TestCorpus.pdfPages(List.of(List.of("General rules of the site."),
                List.of("The fire drill takes place every second Tuesday at ten.")), null));
        WebElement file = browser.driver.findElement(By.id("library-file"));
        file.sendKeys(pdf.toString());
        awaitReady(1);

        browser.script("""
                const zone = document.getElementById('drop-zone');
                const data = new DataTransfer();
                data.items.add(new File(['# Visitors\\n\\nVisitors sign the register at the north gate.\\n'],
                    'visitors.md', { type: 'text/markdown' }));
                zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
                """);
        awaitReady(2);
        assertThat(browser.driver.findElement(By.id("documents")).getText()).contains("fire-drill.pdf", "visitors.md",
                "pages: 2");
        assertThat(browser.driver.findElement(By.id("library-list")).getText()).contains("Safety handbook",
                "2 documents");
        browser.screenshot("libraries");

        // The file button is reached with the keyboard.
        WebElement choose = browser.driver.findElement(By.id("choose-files"));
        assertThat(choose.getAttribute("tabindex")).isEqualTo("0");

        browser.driver.findElement(By.id("language")).click();
        browser.until(d -> d.findElement(By.id("libraries-title")).getText().equals("Bibliothèques"));
        browser.driver.navigate().refresh();
        browser.until(d -> d.findElements(By.cssSelector("#documents tr")).size() == 2);
        assertThat(browser.driver.findElement(By.id("documents")).getText()).contains("Prêt");
        browser.screenshot("libraries-fr");
        browser.driver.findElement(By.id("language")).click();

        browser.driver.get(browser.server.url() + "#/chat");
        WebElement picker = browser.waitFor(By.id("library-picker"));
        browser.until(d -> picker.findElements(By.tagName("option")).size() == 2);
        picker.findElements(By.tagName("option")).get(1).click();
        browser.driver.findElement(By.id("composer-input")).sendKeys("When does the fire drill take place?", Keys.ENTER);
        WebElement source = browser.waitFor(By.cssSelector(".message.assistant .sources button.source"));
        String cited = source.getText();
        assertThat(cited).contains("[1]", "fire-drill.pdf", "page 2");
        source.click();
        browser.waitFor(By.id("passage"));
        assertThat(browser.driver.switchTo().activeElement().getAttribute("id")).isEqualTo("passage-title");
        assertThat(browser.driver.findElement(By.id("side-panel")).getText())
                .contains("fire-drill.pdf", "every second Tuesday");
        browser.screenshot("chat-sources");
        browser.driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
        browser.until(d -> !d.findElement(By.id("side-panel")).isDisplayed());
        assertThat(browser.driver.switchTo().activeElement().getText()).contains("fire-drill.pdf");

        // Reopened, the answer cites as it did live, and its source opens by keyboard from the document.
        assertThat(browser.driver.getCurrentUrl()).contains("#/chat/conv_");
        browser.driver.navigate().refresh();
        WebElement kept = browser.waitFor(By.cssSelector(".message.assistant .sources button.source"));
        assertThat(kept.getText()).isEqualTo(cited);
        kept.sendKeys(Keys.ENTER);
        browser.until(d -> d.findElement(By.id("side-panel")).getText().contains("every second Tuesday"));
        assertThat(browser.driver.switchTo().activeElement().getAttribute("id")).isEqualTo("passage-title");
        assertThat(browser.driver.findElement(By.id("side-panel")).getText()).contains("fire-drill.pdf", "page 2");
        browser.screenshot("chat-sources-reopened");

        // Its document deleted, the source still names it, and opening it says the passage is gone.
        String conversation = browser.driver.getCurrentUrl().replaceFirst(".*#/chat/", "");
        JsonNode reference = new ObjectMapper().readTree(browser.api("get", "/v1/conversations/" + conversation, null))
                .get("messages").get(1).get("references").get(0);
        assertThat(browser.api("del", "/v1/libraries/" + reference.get("library_id").asText() + "/documents/"
                + reference.get("document_id").asText(), null)).isEqualTo("null");
        browser.driver.findElement(By.id("language")).click();
        browser.driver.navigate().refresh();
        WebElement orphan = browser.waitFor(By.cssSelector(".message.assistant .sources button.source"));
        assertThat(orphan.getText()).contains("[1]", "fire-drill.pdf", "page 2");
        orphan.sendKeys(Keys.ENTER);
        browser.until(d -> d.findElement(By.id("side-panel")).getText().contains("supprimé"));
        assertThat(browser.driver.findElement(By.id("side-panel")).getText()).doesNotContain("every second Tuesday");
        browser.screenshot("chat-source-gone-fr");
        browser.driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
        browser.driver.findElement(By.id("language")).click();
    }
}
