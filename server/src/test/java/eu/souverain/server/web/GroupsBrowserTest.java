package eu.souverain.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import eu.souverain.server.tenancy.Actor;
import eu.souverain.server.tenancy.Organization;
import eu.souverain.server.tenancy.Role;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * Groups in the administration: made with the models their members may use, members added and
 * removed, a limit set on the group in the budgets editor, and the group deleted.
 */
class GroupsBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aGroupIsMadeWithItsModelsGetsAMemberAndALimitThenIsDeleted() throws IOException {
        Browser browser = Browser.shared();
        WebServer server = browser.server;
        Organization delta = server.tenancy.organizations().create("Delta", Actor.SYSTEM);
        server.tenancy.users().create(delta.id(), "owner@delta.test", Role.OWNER, WebServer.PASSWORD, Actor.SYSTEM, true);
        server.tenancy.users().create(delta.id(), "lee@delta.test", Role.MEMBER, WebServer.PASSWORD, Actor.SYSTEM, true);
        browser.signIn("owner@delta.test");
        browser.driver.get(server.url() + "#/admin/groups");
        browser.waitFor(By.id("new-group-name")).sendKeys("Writers");
        browser.driver.findElement(By.cssSelector("#new-group input[value='" + WebServer.STORIES + "']")).click();
        browser.driver.findElement(By.id("new-group-submit")).click();
        WebElement row = browser.waitFor(By.cssSelector("#groups-table tbody tr[data-id]"));
        assertThat(row.getText()).contains("Writers", "by hand", WebServer.STORIES, "no members");
        String id = row.getAttribute("data-id");

        new Select(row.findElement(By.cssSelector(".add-member-select"))).selectByVisibleText("lee@delta.test");
        row.findElement(By.cssSelector("button.add-member")).click();
        browser.until(d -> d.findElement(By.id("groups-status")).getText().equals("lee@delta.test is in Writers."));
        JsonNode group = JSON.readTree(browser.api("get", "/v1/admin/groups/" + id, null));
        assertThat(group.get("models")).extracting(JsonNode::asText).containsExactly(WebServer.STORIES);
        assertThat(group.get("members")).hasSize(1);
        browser.screenshot("admin-groups");

        browser.driver.get(server.url() + "#/admin/limits");
        new Select(browser.waitFor(By.id("limit-kind"))).selectByValue("group");
        assertThat(new Select(browser.driver.findElement(By.id("limit-subject"))).getFirstSelectedOption().getText())
                .isEqualTo("Writers");
        browser.driver.findElement(By.id("limit-tokens_per_month")).sendKeys("1000000");
        browser.driver.findElement(By.id("limit-save")).click();
        browser.until(d -> d.findElement(By.id("limits-status")).getText().equals("The limits of Writers are saved."));
        assertThat(browser.waitFor(By.cssSelector("#limits-table tr[data-id='group:" + id + "']")).getText())
                .startsWith("Group: Writers");

        browser.driver.get(server.url() + "#/admin/groups");
        browser.waitFor(By.cssSelector("#groups-table button.remove-member")).click();
        browser.until(d -> d.findElement(By.id("groups-status")).getText().equals("lee@delta.test left Writers."));
        browser.waitFor(By.cssSelector("#groups-table button.delete-group")).click();
        browser.until(ExpectedConditions.alertIsPresent()).accept();
        browser.until(d -> d.findElement(By.id("groups-status")).getText().equals("Group Writers deleted."));
        assertThat(JSON.readTree(browser.api("get", "/v1/admin/groups", null)).get("data")).isEmpty();
        // Its limits went with it.
        assertThat(JSON.readTree(browser.api("get", "/v1/admin/limits", null)).get("data")).isEmpty();
    }
}
