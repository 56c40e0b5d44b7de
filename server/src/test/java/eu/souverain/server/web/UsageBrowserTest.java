package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Organization;
import eu.souverain.server.tenancy.Role;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * Usage in the browser: the administration's charts of tokens and requests by model, user, group
 * and backend, with the same figures in a table, the energy estimate, an empty period explained;
 * the budgets and limits editor; and each person's own usage in the account dialog. Each test runs
 * in an organization of its own, so that its figures are only its calls'.
 */
class UsageBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = """
            {"model": "stories260K", "messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 8}""";
    private static Browser browser;
    private static int organizations;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    /** A new organization with an owner of its own; returns the owner's email. */
    private static String newOrganization() {
        WebServer server = browser.server;
        Organization organization = server.tenancy.organizations().create("Usage " + ++organizations, Actor.SYSTEM);
        String email = "usage-owner" + organizations + "@usage.test";
        server.tenancy.users().create(organization.id(), email, Role.OWNER, WebServer.PASSWORD, Actor.SYSTEM, true);
        return email;
    }

    private static void go(String part) {
        browser.driver.get(browser.server.url() + "#/admin/" + part);
        browser.waitFor(By.cssSelector("#admin-" + part));
    }

    private static String text(String id) {
        return browser.waitFor(By.id(id)).getText();
    }

    @Test
    void anEmptyPeriodIsExplainedThenTheChartAndTableShowTheCallsByModelAndByUser() throws IOException {
        browser.signIn(newOrganization());
        go("usage");
        assertThat(text("usage-empty")).startsWith("No model calls in this period yet");
        // No calls under the local backend's figure took no energy; "not set" is for backends without one.
        assertThat(text("usage-totals")).contains("Requests\n0").contains("Energy (estimate)\n0 Wh");
        browser.screenshot("admin-usage-empty");

        long tokens = 0;
        for (int i = 0; i < 3; i++) {
            JsonNode answer = JSON.readTree(browser.api("post", "/v1/chat/completions", CHAT));
            tokens += answer.at("/usage/total_tokens").asLong();
        }
        browser.driver.navigate().refresh();
        go("usage");
        WebElement canvas = browser.waitFor(By.cssSelector("#usage-chart canvas"));
        assertThat(canvas.getAttribute("role")).isEqualTo("img");
        assertThat(canvas.getAttribute("aria-label")).isEqualTo("Tokens by model, the last 30 days, by day");
        assertThat(browser.driver.findElements(By.id("usage-empty"))).isEmpty();
        assertThat(text("usage-totals")).contains("Requests\n3").contains(String.format("%,d", tokens));
        // The figures of the web server's local backend: 0.3 Wh per 1,000 tokens, said to be an estimate.
        assertThat(text("usage-totals")).containsPattern("Energy \\(estimate\\)\\n0[.,]\\d+ Wh");
        assertThat(text("usage-energy-note")).startsWith("Energy is an estimate").contains("local 0.3");
        WebElement row = browser.waitFor(By.cssSelector("#usage-groups tbody tr"));
        assertThat(row.getText()).contains(WebServer.STORIES, "3");
        assertThat(browser.driver.findElement(By.id("usage-csv")).getAttribute("href"))
                .contains("/v1/usage?period=day").contains("format=csv");
        browser.screenshot("admin-usage-tokens-by-model");

        // From the keyboard: the filters are plain selects, each change draws the chart again.
        WebElement measure = browser.driver.findElement(By.id("usage-measure"));
        measure.sendKeys(Keys.ARROW_DOWN);
        browser.until(d -> d.findElement(By.id("usage-chart-title")).getText().startsWith("Requests by model"));
        new Select(browser.driver.findElement(By.id("usage-group-by"))).selectByValue("user");
        browser.until(d -> String.valueOf(browser.script(
                "return document.querySelector('#usage-groups tbody tr')?.textContent")).startsWith("usage-owner"));
        assertThat(browser.driver.findElement(By.cssSelector(".u-legend")).getText()).contains("usage-owner");
        browser.screenshot("admin-usage-requests-by-user");

        browser.driver.findElement(By.id("language")).click();
        go("usage");
        browser.script("arguments[0].scrollIntoView()", browser.waitFor(By.cssSelector("#usage-chart")));
        assertThat(text("usage-chart-title")).isEqualTo("Jetons par modèle, les 30 derniers jours, par jour");
        assertThat(text("usage-totals")).contains("Requêtes\n3");
        browser.screenshot("admin-usage-fr");
        browser.driver.findElement(By.id("language")).click();
    }

    @Test
    void budgetsAndLimitsAreSetChangedAndRemovedFromTheEditor() throws IOException {
        browser.signIn(newOrganization());
        go("limits");
        assertThat(text("limits-table")).contains("none");
        new Select(browser.waitFor(By.id("limit-kind"))).selectByValue("organization");
        browser.driver.findElement(By.id("limit-requests_per_minute")).sendKeys("100");
        browser.driver.findElement(By.id("limit-tokens_per_day")).sendKeys("50000");
        browser.driver.findElement(By.id("limit-save")).click();
        browser.until(d -> d.findElement(By.id("limits-status")).getText().contains("are saved"));
        WebElement row = browser.waitFor(By.cssSelector("#limits-table tbody tr[data-id^='organization:']"));
        assertThat(row.getText()).contains("the whole organization", "100", "50,000", "no limit", "80 %");
        JsonNode limits = JSON.readTree(browser.api("get", "/v1/admin/limits", null)).get("data");
        assertThat(limits).hasSize(1);
        assertThat(limits.get(0).get("tokens_per_day").asLong()).isEqualTo(50_000);
        assertThat(limits.get(0).get("tokens_per_month").isNull()).isTrue();
        browser.screenshot("admin-limits");

        row.findElement(By.cssSelector("button.edit-limit")).click();
        WebElement perDay = browser.driver.findElement(By.id("limit-tokens_per_day"));
        assertThat(perDay.getAttribute("value")).isEqualTo("50000");
        perDay.clear();
        perDay.sendKeys("60000");
        browser.driver.findElement(By.id("limit-save")).click();
        browser.until(d -> String.valueOf(browser.script("return document.querySelector("
                + "\"#limits-table tbody tr[data-id^='organization:']\")?.textContent")).contains("60,000"));

        // A value out of range is refused by the form itself, before anything is sent.
        browser.driver.findElement(By.id("limit-soft_percent")).clear();
        browser.driver.findElement(By.id("limit-soft_percent")).sendKeys("0");
        browser.driver.findElement(By.id("limit-save")).click();
        assertThat(browser.script("return document.getElementById('limit-soft_percent').validity.valid")).isEqualTo(false);
        assertThat(JSON.readTree(browser.api("get", "/v1/admin/limits", null)).at("/data/0/soft_percent").asInt())
                .isEqualTo(80);

        browser.waitFor(By.cssSelector("#limits-table tbody tr[data-id^='organization:'] button.remove-limit")).click();
        browser.until(ExpectedConditions.alertIsPresent()).accept();
        browser.until(d -> d.findElements(By.cssSelector("#limits-table tbody tr[data-id]")).isEmpty());
        assertThat(JSON.readTree(browser.api("get", "/v1/admin/limits", null)).get("data")).isEmpty();
    }

    @Test
    void eachPersonSeesTheirOwnUsageOnTheirAccount() throws IOException {
        browser.signIn(browser.server.newUser(Role.MEMBER));
        browser.driver.findElement(By.id("account")).click();
        assertThat(text("own-usage")).contains("Your usage, last 30 days")
                .contains("You have not used a model in the last 30 days.");
        browser.driver.findElement(By.cssSelector("dialog .ghost")).click();

        browser.api("post", "/v1/chat/completions", CHAT);
        browser.driver.findElement(By.id("account")).click();
        WebElement row = browser.waitFor(By.cssSelector("#own-usage-table tbody tr"));
        assertThat(row.getText()).startsWith(WebServer.STORIES).contains("1");
        assertThat(text("own-usage")).contains("Requests\n1");
        browser.screenshot("account-usage");
        List<WebElement> close = browser.driver.findElements(By.cssSelector("dialog .ghost"));
        close.getLast().click();
    }
}
