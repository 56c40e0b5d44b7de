package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.tenancy.Role;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * What a model or a person wrote is shown, never run: a title and an answer carrying an image with
 * an error handler, a script and a javascript: link, stored through the API as any client could,
 * render inert, while the Markdown around them still renders.
 */
class SafeRenderingBrowserTest {

    private static final String TITLE = "<img src=x onerror=\"window.pwned='title'\"><script>window.pwned='title script'</script>";
    private static final String ANSWER = """
            Here is **bold**, a [good link](https://example.org/docs) and some traps:

            [click me](javascript:window.pwned='answer%20link')

            <img src=x onerror="window.pwned='answer img'">
            <script>window.pwned='answer script'</script>
            <a href="javascript:window.pwned='raw link'">raw</a>
            <svg><animate onbegin="window.pwned='svg'" attributeName="x" dur="1s"/></svg>
            <iframe src="javascript:window.pwned='iframe'"></iframe>

            ```java
            class Hello { String greet() { return "<b>hi</b>"; } }
            ```
            """;

    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    @Test
    void titlesAndAnswersWithScriptsRenderInertAndTheMarkdownStillRenders() throws Exception {
        browser.signIn(browser.server.newUser(Role.MEMBER));
        String body = new ObjectMapper().writeValueAsString(Map.of("title", TITLE, "messages", List.of(
                Map.of("role", "user", "content", "<img src=x onerror=\"window.pwned='question'\">"),
                Map.of("role", "assistant", "content", ANSWER))));
        String id = new ObjectMapper().readTree(browser.api("post", "/v1/conversations", body)).get("id").asText();

        browser.driver.get(browser.server.url() + "#/chat/" + id);
        browser.driver.navigate().refresh();
        WebElement answer = browser.waitFor(By.cssSelector("#messages .message.assistant .body"));
        browser.until(d -> !d.findElements(By.cssSelector("#conversation-list a")).isEmpty());
        // Time for an image's error handler, had one been left, to run.
        browser.script("return new Promise((resolve) => setTimeout(resolve, 300))");

        assertThat(browser.script("return window.pwned === undefined ? null : window.pwned")).isNull();
        assertThat((List<?>) browser.script("""
                return [...document.querySelectorAll('#main *')].flatMap((el) => [...el.attributes])
                  .filter((a) => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value)).map((a) => a.name + '=' + a.value)
                """)).isEmpty();
        assertThat(browser.driver.findElements(By.cssSelector("#main script, #main iframe, #main object, #main embed"))).isEmpty();

        assertThat(browser.driver.findElement(By.id("conversation-title")).getText()).isEqualTo(TITLE);
        assertThat(browser.driver.findElement(By.cssSelector("#conversation-list a")).getText()).isEqualTo(TITLE);
        assertThat(browser.driver.findElement(By.cssSelector("#messages .message.user .body")).getText())
                .isEqualTo("<img src=x onerror=\"window.pwned='question'\">");

        assertThat(answer.findElement(By.tagName("strong")).getText()).isEqualTo("bold");
        WebElement link = answer.findElement(By.linkText("good link"));
        assertThat(link.getAttribute("href")).isEqualTo("https://example.org/docs");
        assertThat(link.getAttribute("rel")).isEqualTo("noopener noreferrer");
        assertThat(link.getAttribute("target")).isEqualTo("_blank");
        answer.findElement(By.xpath(".//*[text()='click me']")).click();
        assertThat(browser.script("return window.pwned === undefined ? null : window.pwned")).isNull();

        WebElement code = answer.findElement(By.cssSelector(".code pre code.hljs"));
        assertThat(code.getText()).isEqualTo("class Hello { String greet() { return \"<b>hi</b>\"; } }");
        assertThat(code.findElements(By.cssSelector("span[class^=hljs-]"))).isNotEmpty();
        browser.screenshot("chat-rendering");

        // The copy button puts the code, as text, on the clipboard (which a headless browser opens on request).
        browser.driver.executeCdpCommand("Browser.grantPermissions",
                Map.of("permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
        WebElement copy = answer.findElement(By.cssSelector(".code button.copy"));
        assertThat(copy.getText()).isEqualTo("Copy");
        copy.click();
        browser.until(d -> copy.getText().equals("Copied"));
        assertThat(browser.driver.executeAsyncScript("navigator.clipboard.readText().then(arguments[0])"))
                .isEqualTo(code.getText());
    }

    @Test
    void everyPartOfAnAnswerAsItStreamsRendersInert() {
        browser.signIn(browser.server.newUser(Role.MEMBER));
        // The chat renders the answer so far at each frame: every prefix of it, through the page's own renderer.
        Object left = browser.driver.executeAsyncScript("""
                const [answer, done] = arguments;
                import('/js/markdown.js').then(({ renderMarkdown }) => {
                  const target = document.createElement('div');
                  document.getElementById('main').append(target);
                  for (let i = 1; i <= answer.length; i++) renderMarkdown(target, answer.slice(0, i));
                  setTimeout(() => done([...target.querySelectorAll('*')].flatMap((el) => [...el.attributes])
                    .filter((a) => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value)).length), 300);
                });
                """, ANSWER);
        assertThat(left).isEqualTo(0L);
        assertThat(browser.script("return window.pwned === undefined ? null : window.pwned")).isNull();
    }
}
