package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;

/**
 * Every text of the main screens, in both themes, against what lies behind it: at least WCAG's
 * 4.5:1 (3:1 for large text), computed in the page from the colours the browser resolved.
 */
class ContrastBrowserTest {

    private static Browser browser;
    private static String contrast;

    @BeforeAll
    static void open() throws IOException {
        browser = Browser.shared();
        try (InputStream in = ContrastBrowserTest.class.getResourceAsStream("contrast.js")) {
            contrast = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"light", "dark"})
    void everyTextOfTheMainScreensHasEnoughContrast(String theme) throws IOException {
        List<String> failures = new ArrayList<>();
        browser.fresh().waitFor(By.id("signin-email"));
        browser.script("localStorage.setItem('souverain.theme', arguments[0])", theme);
        browser.driver.navigate().refresh();
        browser.waitFor(By.id("signin-email"));
        check("sign-in", failures);

        browser.driver.findElement(By.id("signin-email")).sendKeys(WebServer.OWNER);
        browser.driver.findElement(By.id("signin-password")).sendKeys(WebServer.PASSWORD);
        browser.driver.findElement(By.cssSelector("form.signin button[type=submit]")).click();
        browser.waitFor(By.id("composer-input"));
        String body = new ObjectMapper().writeValueAsString(Map.of("title", "Contrast", "messages", List.of(
                Map.of("role", "user", "content", "Show me some code"),
                Map.of("role", "assistant", "content", """
                        Here is **bold**, `inline code`, a [link](https://example.org) and a list:

                        - one
                        - two

                        > a quote

                        ```java
                        // A comment
                        class Hello { String greet(int n) { return "hi " + n; } }
                        ```
                        """))));
        String id = new ObjectMapper().readTree(browser.api("post", "/v1/conversations", body)).get("id").asText();
        browser.driver.get(browser.server.url() + "#/chat/" + id);
        browser.waitFor(By.cssSelector("#messages .message.assistant .code"));
        check("chat", failures);
        browser.driver.findElement(By.id("sovereignty-toggle")).click();
        browser.waitFor(By.id("sovereignty-title"));
        check("sovereignty panel", failures);

        for (String part : List.of("users", "keys", "policy", "retention", "audit")) {
            browser.driver.get(browser.server.url() + "#/admin/" + part);
            browser.waitFor(By.cssSelector("#main table, #main form"));
            check("admin " + part, failures);
        }
        browser.driver.get(browser.server.url() + "#/report");
        browser.waitFor(By.id("report-title"));
        check("report", failures);

        assertThat(failures).as(theme + " theme").isEmpty();
    }

    private static void check(String screen, List<String> failures) {
        for (Object failure : (List<?>) browser.script(contrast)) {
            failures.add(screen + ": " + failure);
        }
    }
}
