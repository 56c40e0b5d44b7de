package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.sso.OidcSettings;
import eu.souverain.server.sso.SingleSignOn;
import eu.souverain.server.tenancy.Role;
import java.net.InetAddress;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * Single sign-on as a person goes through it: "Sign in with Corp ID" on the sign-in form, the
 * provider's own login page (mock-oauth2-server's, interactive, on loopback), and back in the app
 * with the role the provider's groups give; signing out then offers the provider's sign-out.
 */
class SingleSignOnBrowserTest {

    private static Browser browser;
    private static MockOAuth2Server provider;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
        provider = new MockOAuth2Server(OAuth2Config.Companion.fromJson("{\"interactiveLogin\":true}"));
        provider.start(InetAddress.getLoopbackAddress(), 0);
        WebServer server = browser.server;
        server.server.signInWith(new SingleSignOn(new OidcSettings(provider.issuerUrl("corp").uri(), "souverain",
                "client secret", "Corp ID", "email", Map.of("web.test", server.organization.id()), "groups",
                Map.of(Role.ADMIN, Set.of("souverain-admins"), Role.MEMBER, Set.of("staff")), null),
                server.database, server.tenancy, Clock.systemUTC()));
    }

    @AfterAll
    static void close() {
        browser.server.server.signInWith(null);
        provider.shutdown();
    }

    @Test
    void signsInThroughTheProvidersPageWithTheRoleOfItsGroups() {
        browser.fresh();
        assertThat(browser.waitFor(By.id("signin-sso")).getText()).isEqualTo("Sign in with Corp ID");
        browser.screenshot("sign-in-sso");
        browser.driver.findElement(By.id("signin-sso")).click();

        browser.waitFor(By.name("username")).sendKeys("dana-at-corp");
        browser.driver.findElement(By.name("claims")).sendKeys(
                "{\"email\": \"dana@web.test\", \"groups\": [\"staff\", \"souverain-admins\"]}");
        browser.driver.findElement(By.cssSelector("input[type=submit]")).click();

        browser.waitFor(By.id("composer-input"));
        assertThat(browser.driver.getCurrentUrl()).startsWith(browser.server.url());
        assertThat(browser.waitFor(By.cssSelector("#nav a[href='#/admin']")).isDisplayed()).isTrue();
        browser.driver.findElement(By.id("account")).click();
        assertThat(browser.waitFor(By.cssSelector("dialog[open] p.muted")).getText())
                .isEqualTo("dana@web.test · administrator");

        browser.driver.findElement(By.id("sign-out")).click();
        assertThat(browser.waitFor(By.id("signout-sso")).getAttribute("href"))
                .isEqualTo(provider.endSessionEndpointUrl("corp").toString());
    }

    @Test
    void aRefusedSignInLandsOnTheSignInPageSayingWhyInThePersonsLanguage() {
        browser.fresh();
        browser.waitFor(By.id("signin-sso")).click();
        browser.waitFor(By.name("username")).sendKeys("eve-at-corp");
        // In no group that gives a role here.
        browser.driver.findElement(By.name("claims")).sendKeys("{\"email\": \"eve@web.test\", \"groups\": [\"visitors\"]}");
        browser.driver.findElement(By.cssSelector("input[type=submit]")).click();

        String alert = browser.waitFor(By.cssSelector("form.signin .error[role=alert]")).getText();
        assertThat(alert).isEqualTo("Single sign-on did not sign you in: none of your groups at the identity provider"
                + " gives access here. Ask your administrator.");
        assertThat(browser.driver.getPageSource()).doesNotContain("sign_in_refused\"");
        assertThat(browser.driver.getCurrentUrl()).isEqualTo(browser.server.url());
        browser.screenshot("sign-in-sso-refused");

        // A callback nobody began (or began in another browser): in French, the page says to start again.
        browser.driver.findElement(By.id("language")).click();
        browser.driver.get(browser.server.url() + "auth/oidc/callback?state=forged&code=stolen");
        assertThat(browser.waitFor(By.cssSelector("form.signin .error[role=alert]")).getText())
                .startsWith("L’authentification unique ne vous a pas connecté : la connexion a pris trop de temps");
        // What the address says beyond the known reasons is never shown.
        browser.driver.get(browser.server.url() + "?sign_in_refused=Call%20555%20now");
        assertThat(browser.waitFor(By.cssSelector("form.signin .error[role=alert]")).getText())
                .isEqualTo("L’authentification unique ne vous a pas connecté. Réessayez, ou demandez à votre administrateur.");
        browser.driver.findElement(By.id("language")).click();
    }
}
