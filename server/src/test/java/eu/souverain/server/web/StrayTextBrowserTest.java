package eu.souverain.server.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.openqa.selenium.By;

/**
 * Every screen an owner reaches, in both languages and both themes, with no stray {@code null},
 * {@code undefined}, {@code NaN} or {@code [object Object]} in what it shows: each screenshot
 * checks its page's text ({@link Browser#assertNoStrayText}), and this test takes one of each screen.
 */
class StrayTextBrowserTest {

    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    @ParameterizedTest
    @CsvSource({"en, light", "en, dark", "fr, light", "fr, dark"})
    void noScreenShowsAStrayValue(String language, String theme) throws Exception {
        String prefix = "every-screen-" + language + "-" + theme + "-";
        browser.fresh().waitFor(By.id("signin-email"));
        browser.script("localStorage.setItem('souverain.language', arguments[0]);"
                + " localStorage.setItem('souverain.theme', arguments[1])", language, theme);
        browser.driver.navigate().refresh();
        browser.waitFor(By.id("signin-email"));
        browser.screenshot(prefix + "sign-in");

        browser.driver.findElement(By.id("signin-email")).sendKeys(WebServer.OWNER);
        browser.driver.findElement(By.id("signin-password")).sendKeys(WebServer.PASSWORD);
        browser.driver.findElement(By.cssSelector("form.signin button[type=submit]")).click();
        browser.waitFor(By.id("composer-input"));
        browser.waitFor(By.cssSelector("#messages .welcome"));
        browser.until(d -> !d.findElements(By.cssSelector("#conversations li")).isEmpty());
        browser.screenshot(prefix + "chat");

        String body = new ObjectMapper().writeValueAsString(Map.of("title", "Stray text", "messages", List.of(
                Map.of("role", "user", "content", "What is in a list?"),
                Map.of("role", "assistant", "content", "Two things:\n\n- `one`\n- **two**\n"))));
        String id = new ObjectMapper().readTree(browser.api("post", "/v1/conversations", body)).get("id").asText();
        browser.driver.get(browser.server.url() + "#/chat/" + id);
        browser.waitFor(By.cssSelector("#messages .message.assistant"));
        browser.screenshot(prefix + "conversation");
        browser.driver.findElement(By.id("sovereignty-toggle")).click();
        browser.waitFor(By.id("sovereignty-owner"));
        browser.screenshot(prefix + "sovereignty-panel");
        browser.driver.findElement(By.id("sovereignty-close")).click();

        browser.driver.findElement(By.id("account")).click();
        browser.waitFor(By.id("current-password"));
        browser.waitFor(By.id("own-usage"));
        browser.screenshot(prefix + "account");
        browser.driver.navigate().refresh();

        admin("users", "#users-table", prefix);
        browser.driver.findElement(By.id("new-user-email")).sendKeys(language + "-" + theme + "@stray.test");
        browser.driver.findElement(By.cssSelector("#new-user button[type=submit]")).click();
        browser.waitFor(By.id("one-time-password-value"));
        browser.screenshot(prefix + "admin-users-created");
        admin("keys", "#keys-table", prefix);
        browser.driver.findElement(By.id("new-key-submit")).click();
        browser.waitFor(By.id("new-key-secret-value"));
        browser.screenshot(prefix + "admin-keys-created");
        admin("policy", "#policy-backends-table", prefix);
        admin("retention", "#retention-form", prefix);
        admin("usage", "#usage-groups", prefix);
        admin("groups", "#groups-table", prefix);
        admin("limits", "#limits-table", prefix);
        admin("sso", "#sso-passwords-form", prefix);
        admin("audit", "#audit-table", prefix);
        browser.driver.findElement(By.id("audit-verify")).click();
        browser.waitFor(By.id("audit-verdict"));
        browser.screenshot(prefix + "admin-audit-verified");

        browser.driver.get(browser.server.url() + "#/report");
        browser.waitFor(By.id("report-chain"));
        browser.screenshot(prefix + "report");

        page("libraries", "#libraries-title", prefix);
        page("batch", "#batch-refresh", prefix);
        page("catalogue", "#catalogue-shop", prefix);
    }

    private static void page(String view, String ready, String prefix) {
        browser.driver.get(browser.server.url() + "#/" + view);
        browser.waitFor(By.cssSelector(ready));
        browser.screenshot(prefix + view);
    }

    private static void admin(String part, String ready, String prefix) {
        browser.driver.get(browser.server.url() + "#/admin/" + part);
        browser.waitFor(By.cssSelector("#admin-" + part + " " + ready));
        browser.screenshot(prefix + "admin-" + part);
    }
}
