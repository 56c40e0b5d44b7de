package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.tenancy.Role;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/** The sovereignty report rendered for an owner, and what an auditor sees: the report and the audit log, read-only. */
class ReportBrowserTest {

    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    @Test
    void theReportReadsAsADocument() {
        browser.signIn(WebServer.OWNER);
        browser.driver.get(browser.server.url() + "#/report");
        browser.waitFor(By.id("report-title"));
        assertThat(browser.driver.findElement(By.id("report-chain")).getText()).isEqualTo("The chain is intact.");
        assertThat(browser.driver.findElements(By.cssSelector("#report-backends-table tbody tr")))
                .extracting(WebElement::getText).anyMatch(row -> row.startsWith("local") && row.contains(WebServer.STORIES));
        assertThat(browser.driver.findElement(By.id("report")).getText())
                .contains("Where is the data?", "Who has access?", "What is the security level?", WebServer.OWNER)
                .doesNotContain("{\"", "\":");
        browser.screenshot("report");
    }

    @Test
    void anAuditorReadsTheReportUsageAndTheAuditLogOnly() {
        String email = browser.server.newUser(Role.AUDITOR);
        browser.fresh();
        browser.waitFor(By.id("signin-email")).sendKeys(email);
        browser.driver.findElement(By.id("signin-password")).sendKeys(WebServer.PASSWORD);
        browser.driver.findElement(By.cssSelector("form.signin button[type=submit]")).click();
        // An auditor may not chat: signing in leads to the report, and the navigation offers no chat.
        browser.waitFor(By.id("report-title"));
        assertThat(browser.driver.findElements(By.cssSelector("#nav a[href='#/chat']"))).isEmpty();
        browser.driver.findElement(By.cssSelector("#nav a[href='#/admin']")).click();
        // Auditors read the organization's usage and its audit log, and change nothing.
        browser.waitFor(By.id("usage-groups"));
        List<String> parts = browser.driver.findElements(By.cssSelector(".subnav a")).stream()
                .map(a -> a.getAttribute("href").replaceAll(".*#", "#")).toList();
        assertThat(parts).containsExactly("#/admin/usage", "#/admin/audit");
        browser.driver.findElement(By.cssSelector(".subnav a[href='#/admin/audit']")).click();
        browser.waitFor(By.id("audit-table"));
        browser.driver.get(browser.server.url() + "#/admin/keys");
        browser.waitFor(By.id("usage-groups"));
        assertThat(browser.driver.findElements(By.id("new-key"))).isEmpty();

        browser.driver.findElement(By.cssSelector("#nav a[href='#/report']")).click();
        browser.waitFor(By.id("report-title"));
        browser.driver.findElement(By.id("language")).click();
        assertThat(browser.waitFor(By.id("report-title")).getText()).isEqualTo("Rapport de souveraineté");
        browser.driver.findElement(By.id("language")).click();
        assertThat(browser.waitFor(By.id("report-title")).getText()).isEqualTo("Sovereignty report");
    }
}
