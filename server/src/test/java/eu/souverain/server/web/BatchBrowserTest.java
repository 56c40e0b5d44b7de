package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The batch jobs page: a finished job with its progress and its results and errors to download,
 * a running one cancelled from the keyboard, in English and French.
 */
class BatchBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Browser browser;

    @BeforeAll
    static void open() {
        browser = Browser.shared();
    }

    private static String job(String model, int lines, int maxTokens, String extraLine) throws Exception {
        List<String> requests = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            requests.add("{\"custom_id\": \"item-" + i + "\", \"body\": {\"max_tokens\": " + maxTokens
                    + ", \"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time " + i + "\"}]}}");
        }
        if (extraLine != null) {
            requests.add(extraLine);
        }
        String reply = browser.api("post", "/v1/batch/jobs", "{\"endpoint\": \"/v1/chat/completions\", \"model\": \""
                + model + "\", \"requests\": [" + String.join(",", requests) + "]}");
        return JSON.readTree(reply).get("id").asText();
    }

    private static WebElement row(String id) {
        return browser.waitFor(By.cssSelector("#batch-table tr[data-id='" + id + "']"));
    }

    @Test
    void theJobsShowTheirProgressOfferTheirFilesAndARunningOneIsCancelledFromTheKeyboard() throws Exception {
        browser.signIn(WebServer.OWNER);
        String done = job(WebServer.STORIES, 2, 4, "{\"custom_id\": \"bad\", \"body\": \"not an object\"}");
        String running = job(WebServer.SLOW, 40, 200, null);
        browser.driver.get(browser.server.url() + "#/batch");
        browser.waitFor(By.id("batch-table"));
        browser.until(d -> !row(done).findElements(By.cssSelector(".status-success")).isEmpty());
        assertThat(row(done).getText()).contains("3 of 3 done, 1 failed", WebServer.STORIES, "/v1/chat/completions");
        assertThat(row(done).findElements(By.cssSelector("button"))).isEmpty();
        WebElement results = row(done).findElement(By.xpath(".//a[text()='Results']"));
        WebElement errors = row(done).findElement(By.xpath(".//a[text()='Errors']"));
        String output = JSON.readTree(browser.api("get", results.getAttribute("href").replaceAll("^https?://[^/]+", ""),
                null)).asText();
        assertThat(output).contains("\"custom_id\":\"item-0\"", "\"custom_id\":\"item-1\"").doesNotContain("bad");
        String failed = JSON.readTree(browser.api("get", errors.getAttribute("href").replaceAll("^https?://[^/]+", ""),
                null)).asText();
        assertThat(failed).contains("\"custom_id\":\"bad\"", "body must be a JSON object");

        browser.until(d -> !row(running).findElements(By.cssSelector(".status-running")).isEmpty());
        assertThat(row(running).findElement(By.cssSelector("progress")).getAttribute("max")).isEqualTo("40");
        browser.screenshot("batch");
        WebElement cancel = row(running).findElement(By.xpath(".//button[text()='Cancel']"));
        cancel.sendKeys(Keys.ENTER);
        browser.until(d -> !row(running).findElements(By.cssSelector(".status-cancelled")).isEmpty());
        assertThat(row(running).findElements(By.cssSelector("button"))).isEmpty();

        browser.driver.findElement(By.id("language")).click();
        browser.until(d -> d.findElement(By.cssSelector("#main h1")).getText().equals("Traitements par lots"));
        assertThat(row(running).getText()).contains("annulé");
        assertThat(row(done).getText()).contains("3 sur 3 traitées, 1 en échec", "Résultats", "Erreurs");
        browser.screenshot("batch-fr");
        browser.driver.findElement(By.id("language")).click();
        browser.until(d -> d.findElement(By.cssSelector("#main h1")).getText().equals("Batch jobs"));
    }
}
