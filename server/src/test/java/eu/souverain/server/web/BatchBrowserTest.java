package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;

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

    /** The row of job {@code id}, looked up afresh: the list redraws itself while a job runs. */
    private static By row(String id) {
        return By.cssSelector("#batch-table tr[data-id='" + id + "']");
    }

    /** The row's text, read in one script call, so that a redraw cannot come in between. */
    private static String rowText(String id) {
        browser.waitFor(row(id));
        return (String) browser.script("return document.querySelector(arguments[0]).innerText",
                "#batch-table tr[data-id='" + id + "']");
    }

    private static boolean shows(String id, String selector) {
        return !browser.driver.findElements(By.cssSelector("#batch-table tr[data-id='" + id + "'] " + selector)).isEmpty();
    }

    /** The href of the row's link named {@code name}, path only. */
    private static String link(String id, String name) {
        return ((String) browser.script("return [...document.querySelectorAll(arguments[0])]"
                + ".find((a) => a.textContent === arguments[1]).getAttribute('href')",
                "#batch-table tr[data-id='" + id + "'] a", name));
    }

    @Test
    void theJobsShowTheirProgressOfferTheirFilesAndARunningOneIsCancelledFromTheKeyboard() throws Exception {
        browser.signIn(WebServer.OWNER);
        String done = job(WebServer.STORIES, 2, 4, "{\"custom_id\": \"bad\", \"body\": \"not an object\"}");
        String running = job(WebServer.SLOW, 40, 200, null);
        browser.driver.get(browser.server.url() + "#/batch");
        browser.waitFor(By.id("batch-table"));
        browser.until(d -> shows(done, ".status-success"));
        assertThat(rowText(done)).contains("3 of 3 done, 1 failed", WebServer.STORIES, "/v1/chat/completions");
        assertThat(shows(done, "button")).isFalse();
        String output = JSON.readTree(browser.api("get", link(done, "Results"), null)).asText();
        assertThat(output).contains("\"custom_id\":\"item-0\"", "\"custom_id\":\"item-1\"").doesNotContain("bad");
        String failed = JSON.readTree(browser.api("get", link(done, "Errors"), null)).asText();
        assertThat(failed).contains("\"custom_id\":\"bad\"", "body must be a JSON object");

        browser.until(d -> shows(running, ".status-running"));
        assertThat(browser.script("return document.querySelector(arguments[0]).max",
                "#batch-table tr[data-id='" + running + "'] progress")).isEqualTo(40L);
        browser.screenshot("batch");
        // From the keyboard: Enter on the focused Cancel button (looked up again if the list redrew meanwhile).
        browser.until(d -> {
            try {
                d.findElement(row(running)).findElement(By.xpath(".//button[text()='Cancel']")).sendKeys(Keys.ENTER);
                return true;
            } catch (StaleElementReferenceException redrawn) {
                return false;
            }
        });
        browser.until(d -> shows(running, ".status-cancelled"));
        assertThat(shows(running, "button")).isFalse();

        browser.driver.findElement(By.id("language")).click();
        browser.until(d -> "Traitements par lots".equals(browser.script("return document.querySelector('#main h1').textContent")));
        assertThat(rowText(running)).contains("annulé");
        assertThat(rowText(done)).contains("3 sur 3 traitées, 1 en échec", "Résultats", "Erreurs");
        browser.screenshot("batch-fr");
        browser.driver.findElement(By.id("language")).click();
        browser.until(d -> "Batch jobs".equals(browser.script("return document.querySelector('#main h1').textContent")));
    }
}
