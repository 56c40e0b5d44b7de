package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.tenancy.Role;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

class SignInBrowserTest {

    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    @Test
    void signsInAndOutWithTheAccountsOfTheStore() {
        String email = browser.server.newUser(Role.MEMBER);
        browser.fresh().waitFor(By.id("signin-email"));
        browser.screenshot("sign-in");
        browser.driver.findElement(By.id("signin-email")).sendKeys(email);
        browser.driver.findElement(By.id("signin-password")).sendKeys("not the password");
        browser.driver.findElement(By.cssSelector("form.signin button[type=submit]")).click();
        assertThat(browser.waitFor(By.cssSelector("form.signin .error")).getText()).isEqualTo("Wrong email or password.");

        browser.signIn(email);
        browser.screenshot("chat-empty");
        browser.driver.navigate().refresh();
        browser.waitFor(By.id("composer-input"));

        browser.driver.findElement(By.id("account")).click();
        browser.waitFor(By.id("sign-out")).click();
        browser.waitFor(By.id("signin-email"));
        browser.driver.navigate().refresh();
        assertThat(browser.waitFor(By.id("signin-email")).isDisplayed()).isTrue();
    }

    @Test
    void aChangedPasswordIsTheOneThatSignsInNext() {
        String email = browser.server.newUser(Role.MEMBER);
        browser.signIn(email);
        browser.driver.findElement(By.id("account")).click();
        browser.waitFor(By.id("current-password")).sendKeys(WebServer.PASSWORD);
        browser.driver.findElement(By.id("new-password")).sendKeys("short");
        browser.driver.findElement(By.cssSelector("dialog form button[type=submit]")).click();
        assertThat(browser.driver.findElement(By.id("new-password")).getAttribute("validationMessage"))
                .as("the browser holds back a password under 12 characters").isNotEmpty();
        browser.driver.findElement(By.id("new-password")).clear();
        browser.driver.findElement(By.id("new-password")).sendKeys("a much longer new password");
        browser.driver.findElement(By.cssSelector("dialog form button[type=submit]")).click();
        assertThat(browser.waitFor(By.cssSelector("dialog .ok")).getText()).isEqualTo("Password changed.");
        browser.screenshot("account");
        browser.driver.findElement(By.id("sign-out")).click();

        browser.waitFor(By.id("signin-email")).sendKeys(email);
        browser.driver.findElement(By.id("signin-password")).sendKeys(WebServer.PASSWORD);
        browser.driver.findElement(By.cssSelector("form.signin button[type=submit]")).click();
        assertThat(browser.waitFor(By.cssSelector("form.signin .error")).getText()).isEqualTo("Wrong email or password.");
        browser.driver.findElement(By.id("signin-password")).clear();
        browser.driver.findElement(By.id("signin-password")).sendKeys("a much longer new password");
        browser.driver.findElement(By.cssSelector("form.signin button[type=submit]")).click();
        assertThat(browser.waitFor(By.id("composer-input")).isDisplayed()).isTrue();
    }

    @Test
    void anEndedSessionBringsBackTheSignInFormSayingWhy() {
        browser.signIn(browser.server.newUser(Role.MEMBER));
        browser.driver.manage().deleteCookieNamed("souverain_session");
        browser.driver.findElement(By.id("conversation-filter")).sendKeys("x");
        assertThat(browser.waitFor(By.cssSelector("form.signin .error")).getText())
                .isEqualTo("Your session ended: sign in again.");
    }

    @Test
    void theSkipLinkMovesTheFocusToTheContentWithoutLeavingTheConversation() {
        browser.signIn(browser.server.newUser(Role.MEMBER));
        String hash = (String) browser.script("return location.hash");
        browser.script("document.querySelector('.skip').focus()");
        browser.driver.switchTo().activeElement().sendKeys(org.openqa.selenium.Keys.ENTER);
        assertThat(browser.script("return document.activeElement.id")).isEqualTo("main");
        assertThat(browser.script("return location.hash")).isEqualTo(hash);
    }

    @Test
    void overPlainHttpFromAnotherMachineTheFormSaysTheSignInWouldNotBeKept() {
        browser.fresh().waitFor(By.id("signin-email"));
        assertThat(browser.driver.findElements(By.id("signin-insecure"))).isEmpty();
        browser.driver.get(browser.server.url().replace("127.0.0.1", Browser.OTHER_HOST));
        assertThat(browser.waitFor(By.id("signin-insecure")).getText())
                .startsWith("This page came over plain HTTP from another machine").contains("HTTPS");
    }
}
