package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.tenancy.Role;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/** The chat as a person uses it, in a real browser against the real server and models. */
class ChatBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    /** Each test as a new person, on an empty list, in English and the light theme. */
    @BeforeEach
    void signIn() {
        browser.signIn(browser.server.newUser(Role.MEMBER));
    }

    private static WebElement input() {
        return browser.driver.findElement(By.id("composer-input"));
    }

    private static List<WebElement> messages() {
        return browser.driver.findElements(By.cssSelector("#messages .message"));
    }

    /** Types {@code text} and presses Enter; returns once its answer is written. */
    private static WebElement ask(String text) {
        int before = browser.driver.findElements(By.cssSelector("#messages .message.assistant")).size();
        input().sendKeys(text, Keys.ENTER);
        return answer(before + 1);
    }

    /** The {@code n}th answer, once it is written whole. */
    private static WebElement answer(int n) {
        return browser.until(d -> {
            List<WebElement> answers = d.findElements(By.cssSelector("#messages .message.assistant"));
            return answers.size() == n && d.findElements(By.cssSelector("#messages .writing")).isEmpty()
                    && d.findElement(By.id("send")).isDisplayed() ? answers.get(n - 1) : null;
        });
    }

    private static String openId() {
        String hash = (String) browser.script("return location.hash");
        assertThat(hash).startsWith("#/chat/conv_");
        return hash.substring("#/chat/".length());
    }

    /** The open conversation as the server keeps it. */
    private static JsonNode kept() throws IOException {
        return JSON.readTree(browser.api("get", "/v1/conversations/" + openId(), null));
    }

    @Test
    void theAnswerStreamsIntoItsOwnMessageAndTheHistoryIsNeverRenderedAgain() throws IOException {
        input().sendKeys("first line", Keys.chord(Keys.SHIFT, Keys.ENTER), "second");
        assertThat(input().getAttribute("value")).isEqualTo("first line\nsecond");
        input().clear();

        browser.script("""
                window.lengths = [];
                const messages = document.getElementById('messages');
                new MutationObserver(() => {
                  const writing = messages.querySelector('.message.writing .body');
                  if (writing) window.lengths.push(writing.textContent.length);
                }).observe(messages, { childList: true, subtree: true, characterData: true });
                """);
        // The models that chat, and not the sentence-embedding model, which only embeds.
        assertThat(new Select(browser.driver.findElement(By.id("model"))).getOptions())
                .extracting(option -> option.getAttribute("value")).containsExactly(WebServer.STORIES, WebServer.SLOW);
        new Select(browser.driver.findElement(By.id("model"))).selectByValue(WebServer.SLOW);
        WebElement first = ask("Once upon a time");
        browser.script("""
                arguments[0].dataset.marker = 'kept';
                window.historyTouched = false;
                new MutationObserver(() => { window.historyTouched = true; }).observe(arguments[0].querySelector('.body'),
                  { childList: true, subtree: true, characterData: true, attributes: true });
                """, first);
        new Select(browser.driver.findElement(By.id("model"))).selectByValue(WebServer.STORIES);
        WebElement second = ask("Tell me more");

        @SuppressWarnings("unchecked")
        List<Long> lengths = (List<Long>) browser.script("return window.lengths");
        assertThat(lengths.stream().distinct().count()).as("the answer grew over several frames: " + lengths)
                .isGreaterThanOrEqualTo(3);
        assertThat(lengths.getLast()).isGreaterThan(lengths.getFirst());
        assertThat(browser.script("return window.historyTouched")).isEqualTo(false);
        assertThat(first.getAttribute("data-marker")).as("the earlier answer is the same element").isEqualTo("kept");
        assertThat(second.getText()).isNotBlank();
        assertThat(browser.driver.findElement(By.id("announcer")).getAttribute("textContent")).startsWith("Answer:");

        JsonNode kept = kept();
        assertThat(kept.get("title").asText()).isEqualTo("Once upon a time");
        assertThat(kept.get("messages")).extracting(m -> m.get("role").asText())
                .containsExactly("user", "assistant", "user", "assistant");
        assertThat(kept.get("messages").get(1).get("model").asText()).isEqualTo(WebServer.SLOW);
        assertThat(kept.get("messages").get(3).get("model").asText()).isEqualTo(WebServer.STORIES);
        assertThat(browser.waitFor(By.cssSelector("#conversation-list a[aria-current=page]")).getText())
                .isEqualTo("Once upon a time");
        browser.screenshot("chat-answered");
    }

    @Test
    void escapeStopsTheAnswerAndNothingHalfWrittenIsKept() throws IOException {
        new Select(browser.driver.findElement(By.id("model"))).selectByValue(WebServer.SLOW);
        browser.driver.findElement(By.id("settings-toggle")).click();
        browser.driver.findElement(By.id("system-prompt")).sendKeys("Be brief.");
        browser.driver.findElement(By.id("temperature")).sendKeys("0");
        browser.driver.findElement(By.cssSelector("#conversation-settings button[type=submit]")).click();
        browser.until(d -> d.findElement(By.cssSelector("#conversation-settings [role=status]")).getText()
                .equals("Settings saved."));
        JsonNode settings = kept();
        assertThat(settings.get("system_prompt").asText()).isEqualTo("Be brief.");
        assertThat(settings.get("temperature").asDouble()).isZero();
        assertThat(settings.get("model").asText()).isEqualTo(WebServer.SLOW);

        input().sendKeys("Hi", Keys.ENTER);
        browser.until(d -> d.findElement(By.cssSelector(".message.writing .body")).getText().length() > 5);
        browser.screenshot("chat-streaming");
        new Actions(browser.driver).sendKeys(Keys.ESCAPE).perform();
        WebElement note = browser.waitFor(By.cssSelector(".message.assistant .note"));
        assertThat(note.getText()).isEqualTo("Stopped. This unfinished answer is not kept.");
        assertThat(browser.driver.findElement(By.id("stop")).isDisplayed()).isFalse();
        String stopped = browser.driver.findElement(By.cssSelector(".message.assistant .body")).getText();
        assertThat(kept().get("messages")).as("the server cancelled it and kept no half turn").isEmpty();
        assertThat(browser.driver.findElement(By.cssSelector(".message.assistant .body")).getText()).isEqualTo(stopped);

        // Regenerating a stopped answer asks again; nothing was kept, so nothing is removed first.
        browser.driver.findElement(By.cssSelector(".message.assistant .regenerate")).click();
        browser.until(d -> d.findElement(By.cssSelector(".message.writing .body")).getText().length() > 5);
        browser.driver.findElement(By.id("stop")).click();
        browser.waitFor(By.cssSelector(".message.assistant .note"));
        assertThat(messages()).hasSize(2);

        // Editing the question that was never kept removes the kept turns after it from the server too.
        ask("Next");
        assertThat(kept().get("messages")).extracting(m -> m.get("content").asText()).first().isEqualTo("Next");
        WebElement stoppedQuestion = messages().getFirst();
        stoppedQuestion.findElement(By.cssSelector(".edit")).click();
        WebElement editing = browser.waitFor(By.cssSelector(".message.user .edit-input"));
        editing.sendKeys(Keys.chord(Keys.CONTROL, "a"), "Hello", Keys.ENTER);
        browser.until(ExpectedConditions.stalenessOf(stoppedQuestion));
        answer(1);
        assertThat(kept().get("messages")).extracting(m -> m.get("content").asText()).first().isEqualTo("Hello");
        assertThat(kept().get("messages")).hasSize(2);
    }

    @Test
    void regenerateReplacesTheLastAnswerAndEditContinuesFromTheEditedMessage() throws IOException {
        // The earlier turn is stored short, so that the whole history reaches the little model (512 tokens).
        String id = JSON.readTree(browser.api("post", "/v1/conversations", """
                {"messages": [{"role": "user", "content": "One"}, {"role": "assistant", "content": "A short story."}]}"""))
                .get("id").asText();
        browser.driver.get(browser.server.url() + "#/chat/" + id);
        browser.until(d -> d.findElements(By.cssSelector("#messages .message")).size() == 2);
        ask("Two");
        WebElement previous = messages().get(3);
        previous.findElement(By.cssSelector(".regenerate")).click();
        browser.until(ExpectedConditions.stalenessOf(previous));
        answer(2);
        assertThat(messages()).hasSize(4);
        assertThat(kept().get("messages")).extracting(m -> m.get("content").asText()).startsWith("One")
                .hasSize(4).element(2).isEqualTo("Two");
        assertThat(messages().get(1).findElements(By.cssSelector(".regenerate"))).as("only on the last answer").isEmpty();

        messages().getFirst().findElement(By.cssSelector(".edit")).click();
        WebElement editing = browser.waitFor(By.cssSelector(".message.user .edit-input"));
        assertThat(editing.getAttribute("value")).isEqualTo("One");
        editing.clear();
        WebElement edited = messages().getFirst();
        editing.sendKeys("Three", Keys.ENTER);
        browser.until(ExpectedConditions.stalenessOf(edited));
        answer(1);
        assertThat(messages()).extracting(m -> m.getAttribute("data-role")).containsExactly("user", "assistant");
        assertThat(messages().getFirst().getText()).contains("Three");
        JsonNode kept = kept().get("messages");
        assertThat(kept).extracting(m -> m.get("content").asText()).first().isEqualTo("Three");
        assertThat(kept).hasSize(2);
        assertThat(messages().get(1).getAttribute("data-id")).isEqualTo(kept.get(1).get("id").asText());
    }

    @Test
    void conversationsAreFilteredRenamedAndDeleted() throws IOException {
        for (String title : List.of("Dragons", "Invoices")) {
            browser.api("post", "/v1/conversations", "{\"title\": \"" + title + "\"}");
        }
        browser.driver.navigate().refresh();
        browser.until(d -> d.findElements(By.cssSelector("#conversation-list a")).size() == 2);
        browser.driver.findElement(By.id("conversation-filter")).sendKeys("drag");
        browser.until(d -> d.findElements(By.cssSelector("#conversation-list a")).size() == 1);
        WebElement item = browser.driver.findElement(By.cssSelector("#conversation-list li"));
        assertThat(item.getText()).contains("Dragons");
        item.findElement(By.cssSelector(".rename")).click();
        WebElement rename = browser.waitFor(By.cssSelector("#conversation-list .rename-input"));
        rename.sendKeys(Keys.chord(Keys.CONTROL, "a"), "Dragons and castles", Keys.ENTER);
        browser.until(d -> d.findElement(By.cssSelector("#conversation-list a")).getText().equals("Dragons and castles"));

        browser.driver.findElement(By.cssSelector("#conversation-list a")).click();
        browser.until(d -> d.findElement(By.id("conversation-title")).getText().equals("Dragons and castles"));
        String id = openId();
        browser.driver.findElement(By.cssSelector("#conversation-list .delete")).click();
        assertThat(browser.driver.switchTo().alert().getText()).contains("Dragons and castles");
        browser.driver.switchTo().alert().accept();
        browser.until(d -> d.findElement(By.id("conversation-title")).getText().equals("New conversation"));
        assertThat(browser.api("get", "/v1/conversations/" + id, null)).startsWith("error: 404");
        assertThat(browser.driver.findElements(By.cssSelector("#conversation-list a"))).isEmpty();
        browser.driver.findElement(By.id("conversation-filter")).sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        browser.until(d -> d.findElements(By.cssSelector("#conversation-list a")).size() == 1);
        assertThat(browser.driver.findElement(By.cssSelector("#conversation-list a")).getText()).isEqualTo("Invoices");
    }

    @Test
    void anAnswerCutOffIsMarkedInItsPlaceInBothLanguagesAndTheConversationGoesOn() throws IOException {
        // What a closed page or a killed server leaves of a stored chat: the question, no answer.
        browser.api("post", "/v1/conversations", "{\"title\": \"Cut\", \"messages\": [{\"role\": \"user\","
                + " \"content\": \"Once upon a time\"}]}");
        browser.driver.navigate().refresh();
        browser.until(d -> d.findElements(By.cssSelector("#conversation-list a")).size() == 1);
        browser.driver.findElement(By.cssSelector("#conversation-list a")).click();
        browser.until(d -> d.findElement(By.id("conversation-title")).getText().equals("Cut"));
        assertThat(ask("And then?").getText()).isNotBlank();

        browser.driver.navigate().refresh();
        browser.until(d -> d.findElements(By.cssSelector("#messages .message")).size() == 4);
        WebElement cut = messages().get(1);
        assertThat(cut.getAttribute("class")).contains("assistant");
        assertThat(cut.findElement(By.cssSelector(".note")).getText())
                .isEqualTo("This answer was interrupted before it was finished.");
        browser.driver.findElement(By.id("language")).click();
        assertThat(messages().get(1).findElement(By.cssSelector(".note")).getText())
                .isEqualTo("Cette réponse a été interrompue avant d’être terminée.");
        browser.driver.findElement(By.id("language")).click();
        assertThat(kept().get("messages").get(1).get("interrupted").asBoolean()).isTrue();
    }

    @Test
    void languageAndThemeSwitchAndAreRemembered() {
        assertThat(browser.driver.findElement(By.id("send")).getText()).isEqualTo("Send");
        browser.driver.findElement(By.id("language")).click();
        assertThat(browser.driver.findElement(By.id("send")).getText()).isEqualTo("Envoyer");
        assertThat(browser.driver.findElement(By.id("conversation-title")).getText()).isEqualTo("Nouvelle conversation");
        assertThat(browser.script("return document.documentElement.lang")).isEqualTo("fr");

        assertThat(browser.script("return document.documentElement.dataset.theme")).isEqualTo("light");
        browser.driver.findElement(By.id("theme")).click();
        assertThat(browser.script("return document.documentElement.dataset.theme")).isEqualTo("dark");
        assertThat(browser.script("return document.getElementById('code-dark').disabled")).isEqualTo(false);
        assertThat(browser.script("return getComputedStyle(document.body).backgroundColor")).isNotEqualTo("rgb(247, 247, 245)");

        new Select(browser.driver.findElement(By.id("style"))).selectByValue("structured");

        browser.driver.navigate().refresh();
        assertThat(browser.waitFor(By.id("send")).getText()).isEqualTo("Envoyer");
        assertThat(new Select(browser.driver.findElement(By.id("style"))).getFirstSelectedOption().getText())
                .isEqualTo("Structuré");
        assertThat(browser.script("return document.documentElement.dataset.theme")).isEqualTo("dark");
        browser.screenshot("chat-dark-french");
        browser.driver.findElement(By.id("language")).click();
        assertThat(browser.driver.findElement(By.id("send")).getText()).isEqualTo("Send");
    }

    @Test
    void aPhonesWidthShowsTheChatWithoutSidewaysScrolling() {
        browser.width(390);
        ask("Once upon a time");
        assertThat((Long) browser.script("return document.documentElement.scrollWidth"))
                .isLessThanOrEqualTo((Long) browser.script("return window.innerWidth"));
        assertThat(browser.driver.findElement(By.id("conversations")).isDisplayed()).isFalse();
        browser.screenshot("chat-phone");
        WebElement toggle = browser.driver.findElement(By.id("toggle-conversations"));
        toggle.click();
        assertThat(toggle.getAttribute("aria-expanded")).isEqualTo("true");
        assertThat(browser.waitFor(By.id("conversations")).isDisplayed()).isTrue();
        browser.screenshot("conversations-phone");
        browser.driver.findElement(By.cssSelector("#conversation-list a")).click();
        browser.until(d -> !d.findElement(By.id("conversations")).isDisplayed());

        toggle.click();
        browser.waitFor(By.id("close-conversations")).click();
        browser.until(d -> !d.findElement(By.id("conversations")).isDisplayed());
        assertThat(browser.script("return document.activeElement.id")).isEqualTo("toggle-conversations");
        assertThat(toggle.getAttribute("aria-expanded")).isEqualTo("false");
    }

    @Test
    void everyControlHasANameAndTheListSaysWhichConversationIsOpen() {
        ask("Hello");
        @SuppressWarnings("unchecked")
        List<String> unnamed = (List<String>) browser.script("""
                const named = (el) => el.labels?.length || el.getAttribute('aria-label') || el.textContent.trim()
                  || el.getAttribute('aria-labelledby');
                return [...document.querySelectorAll('button, input, select, textarea, a[href]')]
                  .filter((el) => el.offsetParent !== null && !named(el)).map((el) => el.outerHTML);
                """);
        assertThat(unnamed).isEmpty();
        assertThat(browser.driver.findElement(By.cssSelector("nav#conversations")).getAttribute("aria-labelledby"))
                .isEqualTo("conversations-heading");
        assertThat(browser.driver.findElements(By.cssSelector("#conversation-list a[aria-current=page]"))).hasSize(1);
        assertThat(browser.driver.findElement(By.id("announcer")).getAttribute("aria-live")).isEqualTo("polite");
        assertThat(browser.driver.findElement(By.id("side-panel")).getAttribute("hidden")).isNotNull();
    }
}
