package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.tenancy.Role;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * The administration in the browser, as the organization's owner: API keys (the secret shown once,
 * then only the key's id; revoked, it no longer authenticates), users and roles, the backends and
 * the policy, retention, and the audit log whose chain the page verifies.
 */
class AdminBrowserTest {

    /** Rendered as text, this name is harmless; parsed as HTML, it would set window.pwned. */
    private static final String HOSTILE_NAME = "<img src=x onerror=\"window.pwned=1\">";

    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
        browser.signIn(WebServer.OWNER);
    }

    @BeforeEach
    void wide() {
        browser.width(1280);
    }

    private static void go(String part) {
        browser.driver.get(browser.server.url() + "#/admin/" + part);
        browser.waitFor(By.cssSelector("#admin-" + part));
    }

    private static void accept() {
        browser.until(ExpectedConditions.alertIsPresent()).accept();
    }

    /** GET /v1/models with {@code key} as the Bearer: its status. */
    private static int statusWith(String key) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(browser.server.url() + "v1/models"))
                .header("Authorization", "Bearer " + key).GET().build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void anApiKeyIsShownOnceThenOnlyByItsIdAndRevokedItNoLongerAuthenticates() throws Exception {
        go("keys");
        browser.waitFor(By.id("new-key-name")).sendKeys(HOSTILE_NAME);
        assertThat(browser.driver.findElement(By.id("new-key-scope-chat")).isSelected()).isTrue();
        browser.driver.findElement(By.id("new-key-submit")).click();
        String secret = browser.waitFor(By.id("new-key-secret-value")).getText();
        assertThat(secret).startsWith("sk-souv-key_");
        assertThat(browser.driver.findElement(By.cssSelector("#new-key-secret .copy-secret")).isDisplayed()).isTrue();
        assertThat(statusWith(secret)).isEqualTo(200);
        String id = secret.substring("sk-souv-".length(), secret.lastIndexOf('_'));
        WebElement row = browser.waitFor(By.cssSelector("#keys-table tr[data-id='" + id + "']"));
        assertThat(row.getText()).contains(HOSTILE_NAME, "sk-souv-" + id + "_…");
        assertThat(browser.driver.findElements(By.cssSelector("#keys-table img"))).isEmpty();
        assertThat(browser.script("return window.pwned === undefined")).isEqualTo(true);
        browser.screenshot("admin-keys");

        browser.driver.navigate().refresh();
        row = browser.waitFor(By.cssSelector("#keys-table tr[data-id='" + id + "']"));
        assertThat(browser.driver.findElements(By.id("new-key-secret"))).isEmpty();
        assertThat(browser.driver.getPageSource()).doesNotContain(secret.substring(secret.lastIndexOf('_') + 1));

        row.findElement(By.cssSelector("button.revoke")).click();
        accept();
        browser.until(ExpectedConditions.textToBe(By.cssSelector("#keys-table tr[data-id='" + id + "'] .state"),
                "revoked"));
        assertThat(statusWith(secret)).isEqualTo(401);
    }

    @Test
    void anOwnerAddsAUserWithAOneTimePasswordChangesItsRoleAndDeletesIt() {
        go("users");
        String email = "new.person@web.test";
        browser.waitFor(By.id("new-user-email")).sendKeys(email);
        new Select(browser.driver.findElement(By.id("new-user-role"))).selectByValue("member");
        browser.driver.findElement(By.cssSelector("#new-user button[type=submit]")).click();
        assertThat(browser.waitFor(By.id("one-time-password-value")).getText()).hasSize(22);
        browser.screenshot("admin-users");
        String id = browser.server.tenancy.users().list(browser.server.organization.id()).stream()
                .filter(u -> u.email().equals(email)).findFirst().orElseThrow().id();
        WebElement row = browser.waitFor(By.cssSelector("#users-table tr[data-id='" + id + "']"));
        new Select(row.findElement(By.cssSelector("select.role-select"))).selectByValue("auditor");
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.id("users-status"), email));
        assertThat(browser.server.tenancy.users().list(browser.server.organization.id()).stream()
                .filter(u -> u.id().equals(id)).findFirst().orElseThrow().role().wireName()).isEqualTo("auditor");

        row.findElement(By.cssSelector("button.delete-user")).click();
        accept();
        browser.until(d -> d.findElements(By.cssSelector("#users-table tr[data-id='" + id + "']")).isEmpty());
        browser.driver.navigate().refresh();
        browser.waitFor(By.id("users-table"));
        assertThat(browser.driver.findElements(By.id("one-time-password"))).isEmpty();
    }

    @Test
    void anOwnerDisablesAUserThenErasesItsConversations() throws Exception {
        String email = browser.server.newUser(Role.MEMBER);
        Session person = Session.of(email);
        assertThat(person.send("POST", "v1/conversations", "{\"title\":\"Mine\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"a private question\"}]}").statusCode()).isEqualTo(201);
        String id = browser.server.tenancy.users().list(browser.server.organization.id()).stream()
                .filter(u -> u.email().equals(email)).findFirst().orElseThrow().id();

        go("users");
        By toggle = By.cssSelector("#users-table tr[data-id='" + id + "'] button.toggle-user");
        browser.waitFor(toggle).click();
        browser.until(ExpectedConditions.textToBe(toggle, "Enable"));
        assertThat(disabled(id)).isTrue();
        assertThat(person.send("GET", "v1/conversations", null).statusCode()).isEqualTo(401);  // signed out
        browser.driver.findElement(toggle).click();
        browser.until(ExpectedConditions.textToBe(toggle, "Disable"));
        assertThat(disabled(id)).isFalse();

        browser.driver.findElement(By.cssSelector("#users-table tr[data-id='" + id + "'] button.erase-user")).click();
        accept();
        browser.until(ExpectedConditions.textToBe(By.id("users-status"),
                "Conversations erased for " + email + ": 1. Their data key is destroyed."));
        assertThat(Session.of(email).send("GET", "v1/conversations", null).body()).contains("\"data\":[]");
    }

    private static boolean disabled(String userId) {
        return browser.server.tenancy.users().list(browser.server.organization.id()).stream()
                .filter(u -> u.id().equals(userId)).findFirst().orElseThrow().disabled();
    }

    /** A person signed in over HTTP, as the chat app is: the session cookie and its CSRF token. */
    private record Session(String cookie, String csrf) {
        private static final HttpClient CLIENT = HttpClient.newHttpClient();

        static Session of(String email) throws IOException, InterruptedException {
            HttpResponse<String> login = CLIENT.send(HttpRequest.newBuilder(URI.create(browser.server.url() + "auth/login"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"" + email + "\",\"password\":\""
                            + WebServer.PASSWORD + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).isEqualTo(200);
            return new Session(login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0],
                    login.body().replaceAll(".*\"csrf_token\":\"([^\"]+)\".*", "$1"));
        }

        HttpResponse<String> send(String method, String path, String json) throws IOException, InterruptedException {
            return CLIENT.send(HttpRequest.newBuilder(URI.create(browser.server.url() + path))
                    .header("Content-Type", "application/json").header("Cookie", cookie).header("X-CSRF-Token", csrf)
                    .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void theAuditChainIsVerifiedFromThePage() {
        go("audit");
        browser.until(d -> !d.findElements(By.cssSelector("#audit-table tbody tr")).isEmpty());
        browser.driver.findElement(By.id("audit-verify")).click();
        assertThat(browser.waitFor(By.id("audit-verdict")).getText()).isEqualTo("The chain is intact.");
        assertThat(browser.driver.findElement(By.id("audit-result")).getAttribute("aria-live")).isEqualTo("polite");
        browser.screenshot("admin-audit");
        browser.width(390);
        browser.screenshot("admin-audit-phone");
    }

    @Test
    void theBackendsPolicyAndRetentionAreShownAndSaved() {
        go("policy");
        WebElement local = browser.waitFor(By.cssSelector("#policy-backends-table tr[data-id='local']"));
        assertThat(local.getText()).contains(WebServer.STORIES, "allowed");
        browser.screenshot("admin-policy");

        go("retention");
        WebElement days = browser.waitFor(By.id("retention-days"));
        days.clear();
        days.sendKeys("30");
        browser.driver.findElement(By.cssSelector("#retention-form button[type=submit]")).click();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.id("retention-current"), "30"));
        browser.driver.navigate().refresh();
        assertThat(browser.waitFor(By.id("retention-days")).getAttribute("value")).isEqualTo("30");
        browser.driver.findElement(By.id("retention-days")).clear();
        browser.driver.findElement(By.cssSelector("#retention-form button[type=submit]")).click();
        browser.until(ExpectedConditions.textToBePresentInElementLocated(By.id("retention-current"),
                "until they are erased"));
    }
}
