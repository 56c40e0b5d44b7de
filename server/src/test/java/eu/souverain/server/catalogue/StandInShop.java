package eu.souverain.server.catalogue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * A PrestaShop shop's webservice, as its reference describes it, on a real loopback HTTP server:
 * the key as the basic-auth user name (or ws_key), 401 without it; XML unless output_format=JSON;
 * the languages, products, categories, product_features and product_feature_values resources
 * with display (full or [fields]), filter[field]=[a|b] or [from,to], sort and limit; multilingual
 * fields as language nodes (XML) or [{id, value}] (JSON); an empty JSON list as []; the version
 * in the PSWS-Version header; PATCH of some fields (from 8.0) and PUT of the whole resource,
 * which refuses the nodes that are not writable and empties what it is not given. It counts the
 * writes of each product's field in each language, the writes running at once, and can fail
 * requests with 5xx or 429 (Retry-After) to test the retries.
 */
public final class StandInShop implements AutoCloseable {

    static final List<String> MULTILINGUAL = List.of("name", "description", "description_short", "meta_title",
            "meta_description", "link_rewrite");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final String key;
    private final String version;
    final Map<Integer, String> languages = new TreeMap<>(Map.of(1, "fr", 2, "en"));
    public final Map<Integer, Map<String, Object>> products = new ConcurrentHashMap<>();
    final Map<Integer, Map<String, Object>> categories = new ConcurrentHashMap<>();
    final Map<Integer, Map<String, Object>> features = new ConcurrentHashMap<>();
    final Map<Integer, Map<String, Object>> featureValues = new ConcurrentHashMap<>();
    /** Writes per "product/field/language id". */
    final Map<String, AtomicInteger> writes = new ConcurrentHashMap<>();
    public final AtomicInteger writeRequests = new AtomicInteger();
    final AtomicInteger writing = new AtomicInteger();
    final AtomicInteger mostWritingAtOnce = new AtomicInteger();
    final AtomicInteger unauthorized = new AtomicInteger();
    /** Every n-th write request fails with 503 (0: none). */
    volatile int failEveryNthWrite;
    /** Every n-th write request is refused with 429 and Retry-After: 1 (0: none). */
    volatile int throttleEveryNthWrite;
    final AtomicInteger injectedFailures = new AtomicInteger();
    /** How long each write takes, so that writes overlap. */
    public volatile long writeMillis;

    public StandInShop(String key, String version) throws IOException {
        this.key = key;
        this.version = version;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/shop/api", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/shop";
    }

    /**
     * A catalogue of {@code count} products, ids 1..count, in categories 3 and 4, each with two
     * features; every third product has its texts filled in both languages, the others none, and
     * every fifth a meta_title in French only.
     */
    public void fillCatalogue(int count) {
        categories.put(3, multilingual("name", "Vêtements", "Clothes"));
        categories.put(4, multilingual("name", "Maison", "Home"));
        features.put(1, multilingual("name", "Couleur", "Colour"));
        features.put(2, multilingual("name", "Matière", "Material"));
        featureValues.put(10, multilingual("value", "Bleu", "Blue"));
        featureValues.put(11, multilingual("value", "Coton", "Cotton"));
        for (int id = 1; id <= count; id++) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("id", id);
            p.put("id_manufacturer", "1");
            p.put("id_category_default", Integer.toString(id % 2 == 0 ? 4 : 3));
            p.put("manufacturer_name", "Atelier Test");
            p.put("quantity", "12");
            p.put("reference", "REF-" + id);
            p.put("price", "19.900000");
            p.put("active", "1");
            for (String field : MULTILINGUAL) {
                p.put(field, new TreeMap<Integer, String>());
            }
            lang(p, "name").put(1, "Produit " + id);
            lang(p, "name").put(2, "Product " + id);
            lang(p, "link_rewrite").put(1, "produit-" + id);
            lang(p, "link_rewrite").put(2, "product-" + id);
            if (id % 3 == 0) {
                for (String field : List.of("description", "description_short", "meta_title", "meta_description")) {
                    String french = "Texte du marchand " + field + " " + id;
                    lang(p, field).put(1, field.startsWith("description") ? "<p>" + french + "</p>" : french);
                    lang(p, field).put(2, "Merchant text " + field + " " + id);
                }
            }
            if (id % 5 == 0 && id % 3 != 0) {
                lang(p, "meta_title").put(1, "Titre existant " + id);
            }
            p.put("features", List.of(new int[] {1, 10}, new int[] {2, 11}));
            products.put(id, p);
        }
    }

    private Map<String, Object> multilingual(String field, String fr, String en) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put(field, new TreeMap<>(Map.of(1, fr, 2, en)));
        return item;
    }

    @SuppressWarnings("unchecked")
    public static Map<Integer, String> lang(Map<String, Object> product, String field) {
        return (Map<Integer, String>) product.get(field);
    }

    public int writesOf(int product, String field, int language) {
        AtomicInteger n = writes.get(product + "/" + field + "/" + language);
        return n == null ? 0 : n.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getResponseHeaders().set("PSWS-Version", version);
            exchange.getResponseHeaders().set("X-Powered-By", "PrestaShop Webservice");
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            if (!authorized(exchange, query)) {
                unauthorized.incrementAndGet();
                exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"Welcome to PrestaShop Webservice,"
                        + " please enter the authentication key as the login. No password required.\"");
                error(exchange, query, 401, 17, "Authentication key is empty");
                return;
            }
            String[] path = exchange.getRequestURI().getPath().substring("/shop/api".length()).split("/");
            String resource = path.length > 1 ? path[1] : "";
            Integer id = path.length > 2 && !path[2].isEmpty() ? Integer.valueOf(path[2]) : null;
            String method = exchange.getRequestMethod();
            Map<Integer, Map<String, Object>> table = table(resource);
            if (table == null) {
                error(exchange, query, 400, 22, "Resource of type \"" + resource + "\" does not exists");
                return;
            }
            switch (method) {
                case "GET" -> get(exchange, query, resource, table, id);
                case "PATCH", "PUT" -> write(exchange, query, method, resource, id);
                default -> error(exchange, query, 405, 100, "Method " + method + " is not valid");
            }
        } catch (RuntimeException e) {
            byte[] body = ("<?xml version=\"1.0\"?><prestashop><errors><error><message><![CDATA[" + e
                    + "]]></message></error></errors></prestashop>").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(500, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private boolean authorized(HttpExchange exchange, Map<String, String> query) {
        if (key.equals(query.get("ws_key"))) {
            return true;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.startsWith("Basic ")) {
            return false;
        }
        String decoded = new String(Base64.getDecoder().decode(header.substring(6)), StandardCharsets.UTF_8);
        return decoded.equals(key + ":") || decoded.equals(key);
    }

    private Map<Integer, Map<String, Object>> table(String resource) {
        return switch (resource) {
            case "products" -> products;
            case "categories" -> categories;
            case "product_features" -> features;
            case "product_feature_values" -> featureValues;
            case "languages" -> {
                Map<Integer, Map<String, Object>> rows = new TreeMap<>();
                languages.forEach((id, iso) -> rows.put(id, new LinkedHashMap<>(Map.of("id", id, "iso_code", iso,
                        "name", iso.equals("fr") ? "Français (French)" : "English (English)", "active", "1"))));
                yield rows;
            }
            default -> null;
        };
    }

    private void get(HttpExchange exchange, Map<String, String> query, String resource,
                     Map<Integer, Map<String, Object>> table, Integer id) throws IOException {
        boolean json = "JSON".equalsIgnoreCase(query.get("output_format"));
        String singular = singular(resource);
        if (id != null) {
            Map<String, Object> row = table.get(id);
            if (row == null) {
                error(exchange, query, 404, 87, "Invalid ID");
                return;
            }
            Map<String, Object> whole = withId(id, row);
            if (json) {
                respond(exchange, 200, "application/json", JSON.writeValueAsString(Map.of(singular, toJson(whole, null))));
            } else {
                respond(exchange, 200, "text/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        + "<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n" + toXml(singular, whole)
                        + "</prestashop>\n");
            }
            return;
        }
        Predicate<Map<String, Object>> filter = r -> true;
        for (Map.Entry<String, String> e : query.entrySet()) {
            if (e.getKey().startsWith("filter[") && e.getKey().endsWith("]")) {
                String field = e.getKey().substring(7, e.getKey().length() - 1);
                filter = filter.and(matches(field, e.getValue()));
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map.Entry<Integer, Map<String, Object>> e : new TreeMap<>(table).entrySet()) {
            Map<String, Object> row = withId(e.getKey(), e.getValue());
            if (filter.test(row)) {
                rows.add(row);
            }
        }
        if ("[id_DESC]".equals(query.get("sort"))) {
            rows.sort(Comparator.comparing((Map<String, Object> r) -> (Integer) r.get("id")).reversed());
        }
        String limit = query.get("limit");
        if (limit != null) {
            String[] parts = limit.split(",");
            int offset = parts.length == 2 ? Integer.parseInt(parts[0]) : 0;
            int count = Integer.parseInt(parts[parts.length - 1]);
            rows = rows.subList(Math.min(offset, rows.size()), Math.min(rows.size(), offset + count));
        }
        String display = query.get("display");
        List<String> fields = display == null ? List.of("id") : display.equals("full") ? null
                : List.of(display.substring(1, display.length() - 1).split(","));
        if (json) {
            if (rows.isEmpty()) {
                respond(exchange, 200, "application/json", "[]");
                return;
            }
            List<Object> items = rows.stream().map(r -> (Object) toJson(r, fields)).toList();
            respond(exchange, 200, "application/json", JSON.writeValueAsString(Map.of(resource, items)));
            return;
        }
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<" + resource + ">\n");
        for (Map<String, Object> row : rows) {
            if (display == null) {
                xml.append("<").append(singular).append(" id=\"").append(row.get("id")).append("\" xlink:href=\"")
                        .append(url()).append("/api/").append(resource).append("/").append(row.get("id")).append("\"/>\n");
            } else {
                xml.append(toXml(singular, row));
            }
        }
        respond(exchange, 200, "text/xml", xml.append("</").append(resource).append(">\n</prestashop>\n").toString());
    }

    private static Map<String, Object> withId(int id, Map<String, Object> row) {
        Map<String, Object> whole = new LinkedHashMap<>();
        whole.put("id", id);
        row.forEach((k, v) -> {
            if (!k.equals("id")) {
                whole.put(k, v);
            }
        });
        return whole;
    }

    /** [a|b|c] any of these values; [from,to] an interval; a plain value equality. */
    private static Predicate<Map<String, Object>> matches(String field, String value) {
        if (value.startsWith("[") && value.endsWith("]")) {
            String inner = value.substring(1, value.length() - 1);
            if (inner.contains(",")) {
                String[] ends = inner.split(",");
                long from = Long.parseLong(ends[0]);
                long to = Long.parseLong(ends[1]);
                return r -> {
                    long v = Long.parseLong(String.valueOf(r.get(field)));
                    return v >= from && v <= to;
                };
            }
            List<String> any = List.of(inner.split("\\|"));
            return r -> any.contains(String.valueOf(r.get(field)));
        }
        return r -> value.equals(String.valueOf(r.get(field)));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> toJson(Map<String, Object> row, List<String> fields) {
        Map<String, Object> json = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : row.entrySet()) {
            if (e.getKey().equals("features") || (fields != null && !fields.contains(e.getKey()))) {
                continue;
            }
            if (e.getValue() instanceof Map<?, ?> values) {
                List<Map<String, String>> list = new ArrayList<>();
                languages.keySet().forEach(language -> list.add(Map.of("id", language.toString(), "value",
                        ((Map<Integer, String>) values).getOrDefault(language, ""))));
                json.put(e.getKey(), list);
            } else {
                json.put(e.getKey(), e.getKey().equals("id") ? e.getValue() : String.valueOf(e.getValue()));
            }
        }
        if (fields == null && row.containsKey("features")) {
            List<Map<String, String>> pairs = new ArrayList<>();
            for (int[] pair : (List<int[]>) row.get("features")) {
                pairs.add(Map.of("id", Integer.toString(pair[0]), "id_feature_value", Integer.toString(pair[1])));
            }
            json.put("associations", Map.of("categories", List.of(Map.of("id", String.valueOf(row.get(
                    "id_category_default")))), "product_features", pairs));
        }
        return json;
    }

    @SuppressWarnings("unchecked")
    private String toXml(String singular, Map<String, Object> row) {
        StringBuilder xml = new StringBuilder("<" + singular + ">\n");
        for (Map.Entry<String, Object> e : row.entrySet()) {
            String name = e.getKey();
            if (name.equals("features")) {
                continue;
            }
            if (e.getValue() instanceof Map<?, ?> values) {
                xml.append("\t<").append(name).append(">");
                languages.keySet().forEach(language -> xml.append("<language id=\"").append(language)
                        .append("\" xlink:href=\"").append(url()).append("/api/languages/").append(language)
                        .append("\">").append(cdata(((Map<Integer, String>) values).getOrDefault(language, "")))
                        .append("</language>"));
                xml.append("</").append(name).append(">\n");
            } else {
                String attributes = name.equals("manufacturer_name") || name.equals("quantity")
                        ? " notFilterable=\"true\"" : "";
                xml.append("\t<").append(name).append(attributes).append(">").append(cdata(String.valueOf(e.getValue())))
                        .append("</").append(name).append(">\n");
            }
        }
        if (row.containsKey("features")) {
            xml.append("\t<associations>\n\t\t<product_features nodeType=\"product_feature\" api=\"product_features\">");
            for (int[] pair : (List<int[]>) row.get("features")) {
                xml.append("<product_feature xlink:href=\"").append(url()).append("/api/product_features/")
                        .append(pair[0]).append("\"><id>").append(cdata(Integer.toString(pair[0])))
                        .append("</id><id_feature_value>").append(cdata(Integer.toString(pair[1])))
                        .append("</id_feature_value></product_feature>");
            }
            xml.append("</product_features>\n\t</associations>\n");
        }
        return xml.append("</").append(singular).append(">\n").toString();
    }

    private static String cdata(String text) {
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>";
    }

    private void write(HttpExchange exchange, Map<String, String> query, String method, String resource, Integer id)
            throws IOException {
        if (!resource.equals("products") || id == null) {
            error(exchange, query, 405, 100, "Method " + method + " is not allowed on " + resource);
            return;
        }
        if (method.equals("PATCH") && Integer.parseInt(version.split("\\.")[0]) < 8) {
            error(exchange, query, 405, 100, "Method PATCH is not valid");
            return;
        }
        int n = writeRequests.incrementAndGet();
        int now = writing.incrementAndGet();
        mostWritingAtOnce.accumulateAndGet(now, Math::max);
        try {
            if (writeMillis > 0) {
                Thread.sleep(writeMillis);
            }
            if (failEveryNthWrite > 0 && n % failEveryNthWrite == 0) {
                injectedFailures.incrementAndGet();
                error(exchange, query, 503, 0, "Service Unavailable");
                return;
            }
            if (throttleEveryNthWrite > 0 && n % throttleEveryNthWrite == 0) {
                injectedFailures.incrementAndGet();
                exchange.getResponseHeaders().set("Retry-After", "1");
                error(exchange, query, 429, 0, "Too Many Requests");
                return;
            }
            Map<String, Object> product = products.get(id);
            if (product == null) {
                error(exchange, query, 404, 87, "Invalid ID");
                return;
            }
            Element given = parse(exchange.getRequestBody());
            if (given == null) {
                error(exchange, query, 400, 127, "XML error: the body holds no <product>");
                return;
            }
            Map<String, Element> nodes = new LinkedHashMap<>();
            for (Node child = given.getFirstChild(); child != null; child = child.getNextSibling()) {
                if (child instanceof Element e) {
                    nodes.put(e.getTagName(), e);
                }
            }
            if (!nodes.containsKey("id") || !nodes.get("id").getTextContent().strip().equals(id.toString())) {
                error(exchange, query, 400, 90, "id is required when modifying a resource");
                return;
            }
            for (String readOnly : List.of("manufacturer_name", "quantity")) {
                if (nodes.containsKey(readOnly)) {
                    error(exchange, query, 400, 93, "parameter \"" + readOnly + "\" not writable. Please remove this"
                            + " attribute of this XML");
                    return;
                }
            }
            synchronized (product) {
                if (method.equals("PUT")) {
                    // The whole resource: what it does not hold is emptied, as a real shop's PUT does.
                    for (String field : List.of("reference", "price", "active", "id_category_default", "id_manufacturer")) {
                        if (!nodes.containsKey(field)) {
                            error(exchange, query, 400, 41, "parameter \"" + field + "\" required");
                            return;
                        }
                    }
                    for (String field : MULTILINGUAL) {
                        Map<Integer, String> values = new TreeMap<>();
                        Element node = nodes.get(field);
                        if (node != null) {
                            languageValues(node).forEach(values::put);
                        }
                        languages.keySet().forEach(language -> {
                            String before = lang(product, field).getOrDefault(language, "");
                            String after = values.getOrDefault(language, "");
                            if (!before.equals(after)) {
                                writes.computeIfAbsent(id + "/" + field + "/" + language, k -> new AtomicInteger())
                                        .incrementAndGet();
                            }
                        });
                        product.put(field, values);
                    }
                    for (String field : List.of("reference", "price", "active", "id_category_default", "id_manufacturer")) {
                        product.put(field, nodes.get(field).getTextContent());
                    }
                } else {
                    for (String field : MULTILINGUAL) {
                        Element node = nodes.get(field);
                        if (node != null) {
                            languageValues(node).forEach((language, text) -> {
                                writes.computeIfAbsent(id + "/" + field + "/" + language, k -> new AtomicInteger())
                                        .incrementAndGet();
                                lang(product, field).put(language, text);
                            });
                        }
                    }
                }
            }
            respond(exchange, 200, "text/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    + "<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n" + toXml("product", withId(id, product))
                    + "</prestashop>\n");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            writing.decrementAndGet();
        }
    }

    private static Map<Integer, String> languageValues(Element field) {
        Map<Integer, String> values = new TreeMap<>();
        for (Node child = field.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element e && e.getTagName().equals("language")) {
                values.put(Integer.parseInt(e.getAttribute("id")), e.getTextContent());
            }
        }
        return values;
    }

    private static Element parse(InputStream body) throws IOException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document document = factory.newDocumentBuilder().parse(new ByteArrayInputStream(body.readAllBytes()));
            Node product = document.getDocumentElement().getElementsByTagName("product").item(0);
            return product instanceof Element e ? e : null;
        } catch (javax.xml.parsers.ParserConfigurationException | org.xml.sax.SAXException e) {
            return null;
        }
    }

    private static String singular(String resource) {
        return switch (resource) {
            case "categories" -> "category";
            default -> resource.substring(0, resource.length() - 1);
        };
    }

    private void error(HttpExchange exchange, Map<String, String> query, int status, int code, String message)
            throws IOException {
        if ("JSON".equalsIgnoreCase(query.get("output_format"))) {
            respond(exchange, status, "application/json", JSON.writeValueAsString(Map.of("errors",
                    List.of(Map.of("code", code, "message", message)))));
        } else {
            respond(exchange, status, "text/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop"
                    + " xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<errors>\n<error>\n<code>" + cdata(Integer.toString(code))
                    + "</code>\n<message>" + cdata(message) + "</message>\n</error>\n</errors>\n</prestashop>\n");
        }
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type + ";charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null) {
            return query;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            query.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return query;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
