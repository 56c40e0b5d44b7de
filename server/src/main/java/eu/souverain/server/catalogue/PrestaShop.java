package eu.souverain.server.catalogue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.Parser;

/**
 * A PrestaShop shop's webservice, as its reference describes it: resources under /api, the key as
 * the basic-auth user name, reads as JSON (output_format=JSON, display=full, filter[...]),
 * multilingual fields as [{id, value}] per language id, writes as XML, by PATCH of the changed
 * fields or PUT of the whole resource. Every request is retried with exponential backoff on a
 * 5xx, a 429 (after Retry-After, when given) or a connection failure.
 */
public final class PrestaShop {

    /** Ids fetched per display=full request: a URL stays short and an answer small. */
    static final int PAGE = 50;
    /** Ids listed per request. */
    static final int ID_PAGE = 1000;
    /** Products one job may select, at most: a typo in a range must not queue a million of them. */
    public static final int MAX_PRODUCTS = 100_000;
    /** Nodes a PUT must leave out: the webservice refuses them as not writable. */
    private static final Set<String> NOT_WRITABLE = Set.of("manufacturer_name", "quantity");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How requests are retried: at most {@code attempts} tries, the n-th waiting about
     * {@code firstDelay} times 2^n (jittered), never more than {@code maxDelay}, Retry-After included.
     */
    public record Retry(int attempts, Duration firstDelay, Duration maxDelay) {
        public static final Retry DEFAULT = new Retry(6, Duration.ofMillis(500), Duration.ofSeconds(60));

        public Retry {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1");
            }
        }
    }

    private final URI api;
    private final ShopKey key;
    private final Retry retry;
    private final HttpClient http;
    private volatile String version;
    private final Map<String, Map<Integer, Map<Integer, String>>> names = new ConcurrentHashMap<>();

    public PrestaShop(String shopUrl, ShopKey key, Retry retry) {
        this.api = apiOf(shopUrl);
        this.key = key;
        this.retry = retry;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The webservice root of a shop's URL: {@code https://shop.example/} or its /api. */
    static URI apiOf(String shopUrl) {
        URI uri;
        try {
            uri = URI.create(shopUrl.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the shop URL '" + shopUrl + "' is not a URL");
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException("the shop URL must be http(s)://HOST[/PATH], not '" + shopUrl + "'");
        }
        if (uri.getUserInfo() != null || uri.getQuery() != null) {
            throw new IllegalArgumentException("the shop URL must hold no user, password or query; the key goes in --key");
        }
        String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
        if (!path.endsWith("/api")) {
            path = path + "/api";
        }
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + path);
    }

    /** The shop's version as its PSWS-Version header says, once a request has been answered; null if it says none. */
    public String version() {
        return version;
    }

    /** The shop's languages. */
    public List<ShopLanguage> languages() {
        JsonNode list = getJson("languages", Map.of("display", "[id,iso_code]"));
        List<ShopLanguage> languages = new ArrayList<>();
        for (JsonNode language : list.path("languages")) {
            languages.add(new ShopLanguage(language.path("id").asInt(), language.path("iso_code").asText()));
        }
        return languages;
    }

    /** The ids of the selected products that exist, ascending. */
    public List<Integer> productIds(ProductSelection selection) {
        TreeSet<Integer> ids = new TreeSet<>();
        for (Map<String, String> filter : selection.filters()) {
            for (int offset = 0; ; offset += ID_PAGE) {
                Map<String, String> query = new LinkedHashMap<>(filter);
                query.put("display", "[id]");
                query.put("sort", "[id_ASC]");
                query.put("limit", offset + "," + ID_PAGE);
                JsonNode page = getJson("products", query).path("products");
                page.forEach(p -> ids.add(p.path("id").asInt()));
                if (ids.size() > MAX_PRODUCTS) {
                    throw new IllegalArgumentException("the selection holds more than " + MAX_PRODUCTS
                            + " products; run it in parts (--products or --category)");
                }
                if (page.size() < ID_PAGE) {
                    break;
                }
            }
        }
        return List.copyOf(ids);
    }

    /** The products {@code ids}, whole, with their category and features named in every language. */
    public List<Product> products(List<Integer> ids) {
        List<Product> products = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += PAGE) {
            List<Integer> page = ids.subList(from, Math.min(ids.size(), from + PAGE));
            JsonNode list = getJson("products", Map.of("display", "full", "filter[id]", anyOf(page)));
            for (JsonNode product : list.path("products")) {
                products.add(product(product));
            }
        }
        return products;
    }

    private Product product(JsonNode json) {
        int categoryId = json.path("id_category_default").asInt();
        Map<ShopField, Map<Integer, String>> texts = new LinkedHashMap<>();
        for (ShopField field : ShopField.values()) {
            texts.put(field, languageValues(json.path(field.wireName())));
        }
        Map<Integer, List<String>> features = new HashMap<>();
        List<int[]> pairs = new ArrayList<>();
        for (JsonNode feature : json.path("associations").path("product_features")) {
            pairs.add(new int[] {feature.path("id").asInt(), feature.path("id_feature_value").asInt()});
        }
        if (!pairs.isEmpty()) {
            Map<Integer, Map<Integer, String>> featureNames = named("product_features", "name",
                    pairs.stream().map(p -> p[0]).toList());
            Map<Integer, Map<Integer, String>> valueNames = named("product_feature_values", "value",
                    pairs.stream().map(p -> p[1]).toList());
            for (int[] pair : pairs) {
                featureNames.getOrDefault(pair[0], Map.of()).forEach((language, name) -> {
                    String value = valueNames.getOrDefault(pair[1], Map.of()).getOrDefault(language, "");
                    features.computeIfAbsent(language, l -> new ArrayList<>()).add(name + ": " + value);
                });
            }
        }
        return new Product(json.path("id").asInt(), json.path("reference").asText(""), categoryId,
                languageValues(json.path("name")),
                named("categories", "name", List.of(categoryId)).getOrDefault(categoryId, Map.of()), features, texts);
    }

    /** A multilingual field: [{"id": "1", "value": "..."}] by language id. */
    private static Map<Integer, String> languageValues(JsonNode field) {
        Map<Integer, String> values = new HashMap<>();
        for (JsonNode language : field) {
            values.put(language.path("id").asInt(), language.path("value").asText(""));
        }
        return values;
    }

    /** The multilingual {@code field} of the {@code resource} ids, fetched once per id and kept. */
    private Map<Integer, Map<Integer, String>> named(String resource, String field, List<Integer> ids) {
        Map<Integer, Map<Integer, String>> known = names.computeIfAbsent(resource, r -> new ConcurrentHashMap<>());
        List<Integer> missing = ids.stream().filter(id -> !known.containsKey(id)).distinct().toList();
        for (int from = 0; from < missing.size(); from += PAGE) {
            List<Integer> page = missing.subList(from, Math.min(missing.size(), from + PAGE));
            JsonNode list = getJson(resource, Map.of("display", "[id," + field + "]", "filter[id]", anyOf(page)));
            for (JsonNode item : list.path(resource)) {
                known.put(item.path("id").asInt(), languageValues(item.path(field)));
            }
            page.forEach(id -> known.putIfAbsent(id, Map.of()));
        }
        return known;
    }

    /**
     * Writes {@code texts} (field to language id to text) into product {@code productId}, by
     * {@code method} (PATCH or PUT; AUTO decides by the shop's version).
     */
    public void write(int productId, Map<ShopField, Map<Integer, String>> texts, WriteMethod method) {
        if (version == null) {
            languages();
        }
        if (method.resolve(version) == WriteMethod.PATCH) {
            Document patch = Jsoup.parse("<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\"><product>"
                    + "</product></prestashop>", Parser.xmlParser());
            Element product = patch.selectFirst("product");
            product.appendElement("id").appendText(Integer.toString(productId));
            texts.forEach((field, values) -> setLanguages(product.appendElement(field.wireName()), values));
            send("PATCH", "products/" + productId, xml(patch));
        } else {
            Document whole = Jsoup.parse(send("GET", "products/" + productId, null).body(), "", Parser.xmlParser());
            Element product = whole.selectFirst("prestashop > product");
            if (product == null) {
                throw new ShopException(0, "the shop's product " + productId + " came back without a <product>");
            }
            NOT_WRITABLE.forEach(name -> product.select("> " + name).remove());
            texts.forEach((field, values) -> {
                Element element = product.selectFirst("> " + field.wireName());
                setLanguages(element != null ? element : product.appendElement(field.wireName()), values);
            });
            send("PUT", "products/" + productId, xml(whole));
        }
    }

    private static void setLanguages(Element field, Map<Integer, String> values) {
        values.forEach((language, text) -> {
            Element node = field.selectFirst("> language[id=" + language + "]");
            if (node == null) {
                node = field.appendElement("language").attr("id", Integer.toString(language));
            }
            node.empty().appendText(text);
        });
    }

    private static String xml(Document document) {
        document.outputSettings().prettyPrint(false).syntax(Document.OutputSettings.Syntax.xml)
                .charset(StandardCharsets.UTF_8);
        String body = document.outerHtml().replaceFirst("^<\\?xml[^>]*\\?>", "");
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + body;
    }

    private static String anyOf(List<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining("|", "[", "]"));
    }

    private JsonNode getJson(String resource, Map<String, String> query) {
        Map<String, String> withFormat = new LinkedHashMap<>(query);
        withFormat.put("output_format", "JSON");
        String body = send("GET", resource + "?" + withFormat.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&")), null).body();
        try {
            // An empty list comes back as [] rather than {"products": []}.
            return body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            throw new ShopException(200, "the shop answered " + api + "/" + resource + " with something other than"
                    + " JSON: is this the shop's URL, and is the webservice enabled?");
        }
    }

    /** One request, retried on 5xx, 429 and failed connections; any other error status throws at once. */
    private HttpResponse<String> send(String method, String path, String xmlBody) {
        URI uri = URI.create(api + "/" + path);
        String where = method + " " + uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath();
        for (int attempt = 1; ; attempt++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                    .header("Authorization", key.authorization())
                    .method(method, xmlBody == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(xmlBody, StandardCharsets.UTF_8));
            if (xmlBody != null) {
                request.header("Content-Type", "text/xml; charset=utf-8");
            }
            Duration wait;
            String failure;
            try {
                HttpResponse<String> response = http.send(request.build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                response.headers().firstValue("PSWS-Version").ifPresent(v -> version = v);
                int status = response.statusCode();
                if (status < 300) {
                    return response;
                }
                failure = where + " answered " + status + errorsOf(response.body());
                if (status == 401) {
                    throw new ShopException(status, failure + ": the shop refused the webservice key");
                }
                if (status != 429 && status < 500) {
                    throw new ShopException(status, failure);
                }
                wait = retryAfter(response).orElse(backoff(attempt));
                if (attempt >= retry.attempts()) {
                    throw new ShopException(status, failure + " (" + attempt + " attempts)");
                }
            } catch (IOException e) {
                failure = where + " failed: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage());
                if (attempt >= retry.attempts()) {
                    throw new ShopException(0, failure + " (" + attempt + " attempts)");
                }
                wait = backoff(attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ShopException(0, where + " interrupted");
            }
            try {
                Thread.sleep(Math.min(wait.toMillis(), retry.maxDelay().toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ShopException(0, where + " interrupted while waiting to retry after: " + failure);
            }
        }
    }

    private Duration backoff(int attempt) {
        long base = retry.firstDelay().toMillis() << Math.min(attempt - 1, 16);
        return Duration.ofMillis(base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1));
    }

    /** Retry-After as seconds or an HTTP date. */
    private static java.util.Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(value -> {
            try {
                return java.util.Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip()))));
            } catch (NumberFormatException notSeconds) {
                try {
                    ZonedDateTime at = ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME);
                    return java.util.Optional.of(Duration.between(ZonedDateTime.now(), at).isNegative() ? Duration.ZERO
                            : Duration.between(ZonedDateTime.now(), at));
                } catch (DateTimeParseException notDate) {
                    return java.util.Optional.empty();
                }
            }
        });
    }

    /** The webservice's error messages, from its JSON or XML error document, if any. */
    private static String errorsOf(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        List<String> messages = new ArrayList<>();
        try {
            JsonNode json = JSON.readTree(body);
            json.path("errors").forEach(e -> messages.add(e.path("message").asText()));
        } catch (IOException notJson) {
            Jsoup.parse(body, "", Parser.xmlParser()).select("errors > error > message")
                    .forEach(m -> messages.add(m.text()));
        }
        String joined = messages.stream().filter(m -> !m.isBlank()).map(m -> m.length() > 300 ? m.substring(0, 300) : m)
                .collect(Collectors.joining("; "));
        return joined.isEmpty() ? "" : ": " + joined;
    }
}
