package eu.souverain.server.web;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless chromium, driven by its chromedriver, on the page of the shared {@link
 * WebServer}. Both are named by path, so that Selenium Manager never looks for (or downloads) a
 * browser; without them the tests fail, saying what to install. One browser serves every test
 * class of the run, one after another (starting chromium costs seconds on two cores); each test
 * starts from {@link #fresh} or {@link #signIn}, and the browser quits when the JVM exits.
 */
final class Browser {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Where each run leaves its screenshots of the main screens (surefire runs in server/). */
    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    static final Duration WAIT = Duration.ofSeconds(20);
    /**
     * A name the browser resolves to 127.0.0.1 by itself: the server as a person on another
     * machine reaches it, not a secure context over plain HTTP as loopback addresses are.
     */
    static final String OTHER_HOST = "souverain.test";

    final WebServer server;
    final ChromeDriver driver;

    private Browser(WebServer server) {
        for (Path needed : List.of(CHROMIUM, CHROMEDRIVER)) {
            if (!Files.isExecutable(needed)) {
                throw new IllegalStateException(needed + " is missing: the browser tests need Debian's chromium; install"
                        + " it with 'apt-get install -y chromium chromium-driver' (.ci/run does when it is missing)");
            }
        }
        this.server = server;
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--lang=en-US", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-component-update",
                "--host-resolver-rules=MAP " + OTHER_HOST + " 127.0.0.1");
        options.setExperimentalOption("prefs", Map.of("intl.accept_languages", "en-US,en"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(WAIT);
    }

    private static Browser shared;

    /** The run's browser, on the shared server's page. */
    static synchronized Browser shared() {
        if (shared == null) {
            shared = new Browser(WebServer.shared());
            Runtime.getRuntime().addShutdownHook(new Thread(shared.driver::quit));
        }
        return shared;
    }

    /** Opens the page signed out, at a desktop's width, with nothing remembered (language, theme, style). */
    Browser fresh() {
        width(1280);
        driver.get(server.url());
        driver.manage().deleteAllCookies();
        script("localStorage.clear()");
        driver.get(server.url());
        return this;
    }

    /** Opens the page fresh and signs in as {@code email}; returns once the chat is there. */
    Browser signIn(String email) {
        fresh();
        WebElement emailInput = waitFor(By.id("signin-email"));
        emailInput.sendKeys(email);
        driver.findElement(By.id("signin-password")).sendKeys(WebServer.PASSWORD);
        driver.findElement(By.cssSelector("form.signin button[type=submit]")).click();
        waitFor(By.id("composer-input"));
        return this;
    }

    WebElement waitFor(By by) {
        return until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Waits for {@code condition}, looking every 20 ms: a streamed answer changes quickly. */
    <T> T until(Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, WAIT, Duration.ofMillis(20)).until(condition);
    }

    Object script(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /**
     * Calls the API from the page, as the signed-in person (the session cookie and its CSRF token):
     * {@code api.METHOD(path, body)} from the page's own js/api.js; answers the reply as JSON text.
     */
    String api(String method, String path, String jsonBody) {
        return (String) ((JavascriptExecutor) driver).executeAsyncScript("""
                const [method, path, body, done] = arguments;
                import('/js/api.js').then((m) => m.api[method](path, body === null ? undefined : JSON.parse(body)))
                  .then((reply) => done(JSON.stringify(reply)), (e) => done('error: ' + e.status + ' ' + e.message));
                """, method, path, jsonBody);
    }

    /**
     * What a script leaks into the page when a value is missing or of the wrong kind: {@code null},
     * {@code undefined}, {@code NaN} or {@code [object Object]} as words of the visible text, or of
     * what assistive technology reads (labels, placeholders, titles, the values of fields).
     */
    static final Pattern STRAY = Pattern.compile(
            "\\b(null|undefined|NaN)\\b|\\[object [A-Z][A-Za-z]*]");

    /** Fails naming {@code screen} and each stray word with what surrounds it. */
    void assertNoStrayText(String screen) {
        String text = (String) script("""
                const shown = [document.body.innerText, document.title];
                for (const el of document.querySelectorAll('[aria-label], [placeholder], [title], [alt]')) {
                  for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
                    if (el.hasAttribute(name)) shown.push(el.getAttribute(name));
                  }
                }
                for (const field of document.querySelectorAll('input:not([type=hidden]), textarea, select')) {
                  shown.push(field.value);
                }
                return shown.join('\\n');
                """);
        List<String> stray = STRAY.matcher(text).results()
                .map(m -> "'" + text.substring(Math.max(0, m.start() - 40), Math.min(text.length(), m.end() + 40))
                        .replace('\n', ' ') + "'")
                .toList();
        if (!stray.isEmpty()) {
            throw new AssertionError(screen + " shows stray text: " + String.join(", ", stray));
        }
    }

    /** The window's width in CSS pixels, as a phone's (390) or a desktop's. */
    void width(int width) {
        driver.manage().window().setSize(new Dimension(width, 900));
    }

    /**
     * Saves what the page shows now as target/screenshots/{@code name}.png, once its text is checked
     * for stray values ({@link #assertNoStrayText}).
     */
    void screenshot(String name) {
        assertNoStrayText(name);
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
