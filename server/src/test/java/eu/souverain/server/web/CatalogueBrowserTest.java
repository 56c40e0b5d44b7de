package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import eu.souverain.server.catalogue.StandInShop;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The catalogue page, by keyboard only: a dry run against the stand-in shop, its review table,
 * then its proposals written to the shop; in English and French.
 */
class CatalogueBrowserTest {

    private static final String SHOP_KEY = "ZR92FNY5UFRERNI3O9Z5QDHWKTP3YIIT";
    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    @Test
    void aMerchantReviewsADryRunThenWritesItToTheShop() throws Exception {
        try (StandInShop shop = new StandInShop(SHOP_KEY, "8.1.2")) {
            shop.fillCatalogue(3);
            browser.signIn(WebServer.OWNER);
            browser.waitFor(By.cssSelector("#nav a[href='#/catalogue']")).sendKeys(Keys.ENTER);
            browser.waitFor(By.id("catalogue-title"));
            assertThat(browser.driver.switchTo().activeElement().getAttribute("id")).isEqualTo("catalogue-title");
            browser.driver.findElement(By.id("catalogue-shop")).sendKeys(shop.url());
            WebElement key = browser.driver.findElement(By.id("catalogue-key"));
            key.sendKeys(SHOP_KEY);
            assertThat(key.getAttribute("type")).isEqualTo("password");
            // Tab from the key through the languages to the first field's box; Space unchecks the long description.
            key.sendKeys(Keys.TAB);
            browser.driver.switchTo().activeElement().sendKeys(Keys.TAB);
            browser.driver.switchTo().activeElement().sendKeys(Keys.TAB);
            assertThat(browser.driver.switchTo().activeElement().getAttribute("id"))
                    .isEqualTo("catalogue-field-description");
            browser.driver.switchTo().activeElement().sendKeys(Keys.SPACE);
            assertThat(browser.driver.findElement(By.id("catalogue-field-description")).isSelected()).isFalse();
            WebElement products = browser.driver.findElement(By.id("catalogue-products"));
            products.sendKeys("1-3");
            products.sendKeys(Keys.ENTER);

            WebElement reviewTitle = new WebDriverWait(browser.driver, Duration.ofSeconds(120))
                    .until(d -> d.findElements(By.id("catalogue-review-title")).stream().findFirst().orElse(null));
            assertThat(browser.driver.switchTo().activeElement()).isEqualTo(reviewTitle);
            List<WebElement> rows = browser.driver.findElements(By.cssSelector("#catalogue-review-table tbody tr"));
            // Products 1 and 2 are empty; 3 is filled: 2 products x 2 languages x 3 fields.
            assertThat(rows).hasSize(12);
            assertThat(rows.getFirst().getText()).contains("1", "fr", "Short description", "empty");
            assertThat(shop.writeRequests.get()).isZero();
            assertThat(browser.driver.findElement(By.id("catalogue-status")).getText())
                    .contains("Finished", "12 texts proposed", "6 filled fields left alone");
            assertThat(browser.driver.findElement(By.tagName("body")).getText()).doesNotContain(SHOP_KEY);
            browser.screenshot("catalogue-review");
            // On a phone the table's rows stack, each cell under its label.
            browser.width(390);
            browser.script("arguments[0].scrollIntoView()", browser.driver.findElement(By.id("catalogue-review-table")));
            assertThat(rows.getFirst().findElement(By.cssSelector("td")).getAttribute("data-label")).isEqualTo("Product");
            browser.screenshot("catalogue-review-narrow");
            browser.width(1280);

            browser.driver.findElement(By.id("catalogue-apply")).sendKeys(Keys.ENTER);
            new WebDriverWait(browser.driver, Duration.ofSeconds(120)).until(d ->
                    d.findElement(By.id("catalogue-status")).getText().contains("texts written to the shop")
                            && d.findElement(By.id("catalogue-status")).getText().startsWith("Finished"));
            assertThat(browser.driver.findElement(By.id("catalogue-status")).getText()).contains("12 texts written");
            for (int product : List.of(1, 2)) {
                for (int language : List.of(1, 2)) {
                    assertThat(shop.writesOf(product, "meta_title", language)).isEqualTo(1);
                    assertThat(StandInShop.lang(shop.products.get(product), "meta_title").get(language)).isNotBlank();
                }
            }
            assertThat(shop.writesOf(3, "meta_title", 1)).isZero();
            browser.screenshot("catalogue-written");

            browser.driver.findElement(By.id("language")).click();
            assertThat(browser.waitFor(By.id("catalogue-title")).getText()).isEqualTo("Enrichissement du catalogue");
            assertThat(browser.driver.findElement(By.cssSelector("label[for=catalogue-dry-run]")).getText())
                    .startsWith("Essai à blanc");
            browser.assertNoStrayText("catalogue fr");
            browser.screenshot("catalogue-fr");
            browser.driver.findElement(By.id("language")).click();
            assertThat(browser.waitFor(By.id("catalogue-title")).getText()).isEqualTo("Catalogue enrichment");
        }
    }
}
