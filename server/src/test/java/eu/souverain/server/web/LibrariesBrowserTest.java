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
import org.openqa.selenium.support.ui.Select;

/**
 * The Libraries page and answers from a library, in the browser: a library created, a PDF uploaded
 * through the file button and a Markdown file dropped on the page, both processed; then in the
 * chat, the library picked, an answer whose sources open the cited passage in the side panel and
 * close with Esc; the conversation reopened (the page reloaded), its answer cites the same sources,
 * whose passage is read from the document, and once the document is deleted says it is gone; a
 * library shared with a person named by their address, their access changed and taken back, from
 * the keyboard; in English and in French, with screenshots.
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
        // The title takes the focus once the library's documents and shares are read.
        browser.until(d -> "library-title".equals(d.switchTo().activeElement().getAttribute("id")));
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
    @Test
    void aLibraryIsSharedWithAPersonByAddressByKeyboardTheirAccessChangedAndTakenBack() throws Exception {
        String reader = browser.server.newUser(Role.MEMBER);
        String owner = browser.server.newUser(Role.MEMBER);
        browser.signIn(owner);
        String library = new ObjectMapper().readTree(browser.api("post", "/v1/libraries", "{\"name\": \"Procedures\"}"))
                .get("id").asText();
        browser.driver.get(browser.server.url() + "#/libraries/" + library);
        browser.waitFor(By.id("library-shares-none"));

        // An address no one of the organization has is refused, saying so.
        WebElement email = browser.waitFor(By.id("share-email"));
        email.sendKeys("nobody@web.test", Keys.ENTER);
        browser.until(d -> d.findElement(By.id("share-error")).getText().contains("no user of your organization"));

        // The person, by address (in any case), to read and add: picked and sent from the keyboard.
        email.clear();
        new Select(browser.driver.findElement(By.id("share-level"))).selectByValue("Editor");
        email.sendKeys(reader.toUpperCase(), Keys.ENTER);
        WebElement row = browser.waitFor(By.cssSelector("#library-shares tr[data-role=Editor]"));
        assertThat(row.getText()).contains(reader);
        assertThat(browser.driver.findElement(By.id("share-error")).getText()).isEmpty();
        assertThat(browser.driver.findElement(By.id("library-shares-none")).isDisplayed()).isFalse();
        // Once shared, the field is emptied and keeps the focus, for the next person.
        browser.until(d -> "share-email".equals(d.switchTo().activeElement().getAttribute("id")));
        assertThat(email.getAttribute("value")).isEmpty();
        browser.screenshot("libraries-sharing");

        // Their access changed from its own labelled field.
        WebElement access = row.findElement(By.cssSelector("select.share-role"));
        assertThat(access.getAttribute("aria-label")).isEqualTo("Access of " + reader);
        new Select(access).selectByValue("Viewer");
        browser.waitFor(By.cssSelector("#library-shares tr[data-role=Viewer]"));
        JsonNode shares = new ObjectMapper().readTree(browser.api("get", "/v1/libraries/" + library + "/share", null));
        assertThat(shares.get("data")).anySatisfy(share -> {
            assertThat(share.get("share_with_email").asText()).isEqualTo(reader);
            assertThat(share.get("role").asText()).isEqualTo("Viewer");
        });

        browser.driver.findElement(By.id("language")).click();
        browser.until(d -> d.findElement(By.id("libraries-title")).getText().equals("Bibliothèques"));
        browser.driver.navigate().refresh();
        browser.waitFor(By.cssSelector("#library-shares tr[data-role=Viewer]"));
        assertThat(browser.driver.findElement(By.id("library-sharing-title")).getText()).isEqualTo("Partage");
        assertThat(browser.driver.findElement(By.cssSelector("#library-shares select.share-role option:checked"))
                .getText()).isEqualTo("Lecture");
        browser.screenshot("libraries-sharing-fr");
        browser.driver.findElement(By.id("language")).click();

        // The reader sees who it is shared with, and cannot change it.
        browser.signIn(reader);
        browser.driver.get(browser.server.url() + "#/libraries/" + library);
        WebElement seen = browser.waitFor(By.cssSelector("#library-shares tr[data-role=Viewer]"));
        assertThat(seen.getText()).contains(reader, "Read");
        assertThat(browser.driver.findElements(By.id("library-share-person"))).isEmpty();
        assertThat(browser.driver.findElements(By.cssSelector("#library-shares button.unshare"))).isEmpty();
        browser.screenshot("libraries-shared-with-me");

        // Taken back from the keyboard: the person loses the library.
        browser.signIn(owner);
        browser.driver.get(browser.server.url() + "#/libraries/" + library);
        WebElement remove = browser.waitFor(By.cssSelector("#library-shares button.unshare"));
        assertThat(remove.getAttribute("aria-label")).isEqualTo("Stop sharing with " + reader);
        remove.sendKeys(Keys.ENTER);
        browser.waitFor(By.id("library-shares-none"));
        browser.until(d -> "share-email".equals(d.switchTo().activeElement().getAttribute("id")));
        assertThat(new ObjectMapper().readTree(browser.api("get", "/v1/libraries/" + library + "/share", null))
                .get("data")).hasSize(1);
    }
}
