package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Organization;
import eu.souverain.server.tenancy.Role;
import java.io.IOException;
import java.net.InetAddress;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * An organization's administrator sets its own identity provider in the administration; a person
 * of its domain then signs in from the sign-in page by typing their address, through that
 * provider's page, into that organization with the role its groups give.
 */
class OrganizationSignOnBrowserTest {

    private static Browser browser;
    private static MockOAuth2Server provider;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
        provider = new MockOAuth2Server(OAuth2Config.Companion.fromJson("{\"interactiveLogin\":true}"));
        provider.start(InetAddress.getLoopbackAddress(), 0);
    }

    @AfterAll
    static void close() {
        provider.shutdown();
    }

    private static void type(String id, String text) {
        WebElement input = browser.driver.findElement(By.id(id));
        input.clear();
        input.sendKeys(text);
    }

    @Test
    void anAdministratorSetsTheProviderAndAPersonOfItsDomainSignsInThroughIt() throws IOException {
        Organization gamma = browser.server.tenancy.organizations().create("Gamma", Actor.SYSTEM);
        browser.server.tenancy.users().create(gamma.id(), "admin@gamma.test", Role.ADMIN, WebServer.PASSWORD,
                Actor.SYSTEM, true);
        browser.signIn("admin@gamma.test");
        browser.driver.get(browser.server.url() + "#/admin/sso");
        assertThat(browser.waitFor(By.id("sso-state")).getText()).startsWith("None set");
        assertThat(browser.driver.findElement(By.id("sso-redirect")).getText()).endsWith("/auth/oidc/callback");
        type("sso-issuer", provider.issuerUrl("gamma").toString());
        type("sso-client-id", "souverain-gamma");
        type("sso-provider-name", "Gamma ID");
        type("sso-domains", "gamma.test");
        type("sso-role-member", "gamma-staff");
        type("sso-client-secret", "env:PATH");
        browser.driver.findElement(By.id("sso-save")).click();
        browser.until(d -> d.findElement(By.id("sso-status")).getText().contains("SOUVERAIN_OIDC_"));
        browser.driver.findElement(By.id("sso-client-secret")).clear();
        browser.driver.findElement(By.id("sso-save")).click();
        browser.until(d -> d.findElement(By.id("sso-status")).getText().equals("Single sign-on saved."));
        assertThat(browser.driver.findElement(By.id("sso-state")).getText())
                .isEqualTo("Gamma ID signs in the people of gamma.test.");
        assertThat(new ObjectMapper().readTree(browser.api("get", "/v1/admin/sso", null)).at("/provider/roles/member/0")
                .asText()).isEqualTo("gamma-staff");
        browser.screenshot("admin-sso");

        browser.driver.findElement(By.id("account")).click();
        browser.waitFor(By.id("sign-out")).click();
        WebElement organizationSso = browser.waitFor(By.id("signin-organization-sso"));
        assertThat(organizationSso.getText()).isEqualTo("Sign in with my organization’s provider");
        organizationSso.click();
        assertThat(browser.waitFor(By.cssSelector("form.signin .error")).getText()).startsWith("Type your email address");
        browser.driver.findElement(By.id("signin-email")).sendKeys("noor@gamma.test");
        browser.screenshot("sign-in-organization-sso");
        organizationSso.click();

        browser.waitFor(By.name("username")).sendKeys("noor-at-gamma");
        browser.driver.findElement(By.name("claims")).sendKeys(
                "{\"email\": \"noor@gamma.test\", \"groups\": [\"gamma-staff\"]}");
        browser.driver.findElement(By.cssSelector("input[type=submit]")).click();
        browser.waitFor(By.id("composer-input"));
        browser.driver.findElement(By.id("account")).click();
        assertThat(browser.waitFor(By.cssSelector("dialog[open] p.muted")).getText()).isEqualTo("noor@gamma.test · member");
        assertThat(browser.server.tenancy.users().list(gamma.id())).anyMatch(u -> u.email().equals("noor@gamma.test"));
        browser.driver.findElement(By.cssSelector("dialog[open] .ghost")).click();
    }
}
