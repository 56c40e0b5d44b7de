package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.tenancy.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

class SignInBrowserTest {

    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.open();
    }

    @AfterAll
    static void close() {
        browser.close();
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
}
