package eu.souverain.server.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stand-in for a Vault / OpenBao server's Transit secrets engine on a loopback port, written from
 * Vault's documented HTTP API: {@code X-Vault-Token} authentication, {@code POST
 * /v1/MOUNT/encrypt/:name} (creating the key on first use, as Vault does with create permission),
 * {@code /decrypt/:name}, {@code /rewrap/:name}, {@code POST /keys/:name}, {@code /keys/:name/rotate},
 * {@code /keys/:name/config} (min_decryption_version, min_encryption_version), {@code /keys/:name/trim}
 * (no lower than either minimum, refused while min_encryption_version is zero) and {@code GET
 * /v1/MOUNT/keys/:name}; aes256-gcm96 keys with versions; ciphertexts {@code vault:vN:} followed by
 * base64 of the 12-byte nonce and the sealed bytes; errors as {@code {"errors": [...]}}.
 */
final class TransitStandIn implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CIPHERTEXT = Pattern.compile("vault:v(\\d+):(.+)");

    final String token = "hvs." + Base64.getUrlEncoder().withoutPadding().encodeToString(random(18));
    final AtomicInteger requests = new AtomicInteger();
    private final String mount;
    private final Map<String, List<byte[]>> keys = new ConcurrentHashMap<>();
    private final Map<String, List<Long>> created = new ConcurrentHashMap<>();
    private final Map<String, Integer> minDecryption = new ConcurrentHashMap<>();
    private final Map<String, Integer> minEncryptions = new ConcurrentHashMap<>();
    private final HttpServer server;

    TransitStandIn(String mount) throws IOException {
        this.mount = mount;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/" + mount + "/", this::handle);
        server.start();
    }

    String address() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The URL form {@link TransitMasterKey#fromUrl} takes. */
    String keyUrl(String name) {
        return address() + "/" + mount + "/keys/" + name;
    }

    int versions(String name) {
        return keys.getOrDefault(name, List.of()).size();
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try (exchange) {
            if (!token.equals(exchange.getRequestHeaders().getFirst("X-Vault-Token"))) {
                reply(exchange, 403, errors("permission denied"));
                return;
            }
            String path = exchange.getRequestURI().getPath().substring(("/v1/" + mount + "/").length());
            String method = exchange.getRequestMethod();
            byte[] raw = exchange.getRequestBody().readAllBytes();
            JsonNode body = raw.length == 0 ? JSON.createObjectNode() : JSON.readTree(raw);
            String[] parts = path.split("/");
            if (method.equals("POST") && parts.length == 2 && parts[0].equals("keys")) {
                if (!body.path("type").asText("aes256-gcm96").equals("aes256-gcm96")) {
                    reply(exchange, 400, errors("this stand-in makes aes256-gcm96 keys only"));
                    return;
                }
                create(parts[1]);
                reply(exchange, 204, null);
            } else if (method.equals("POST") && parts.length == 2 && parts[0].equals("encrypt")) {
                if (!body.path("plaintext").isTextual()) {
                    reply(exchange, 400, errors("missing plaintext to encrypt"));
                    return;
                }
                create(parts[1]);
                byte[] plaintext = Base64.getDecoder().decode(body.path("plaintext").asText());
                reply(exchange, 200, sealed(parts[1], plaintext));
            } else if (method.equals("POST") && parts.length == 2 && parts[0].equals("decrypt")) {
                byte[] plaintext = open(parts[1], body.path("ciphertext").asText(""));
                if (plaintext == null) {
                    reply(exchange, 400, errors(keys.containsKey(parts[1]) ? "cipher: message authentication failed"
                            : "encryption key not found"));
                    return;
                }
                reply(exchange, 200, data(JSON.createObjectNode()
                        .put("plaintext", Base64.getEncoder().encodeToString(plaintext))));
            } else if (method.equals("POST") && parts.length == 2 && parts[0].equals("rewrap")) {
                byte[] plaintext = open(parts[1], body.path("ciphertext").asText(""));
                if (plaintext == null) {
                    reply(exchange, 400, errors("cipher: message authentication failed"));
                    return;
                }
                reply(exchange, 200, sealed(parts[1], plaintext));
            } else if (method.equals("POST") && parts.length == 3 && parts[0].equals("keys") && parts[2].equals("rotate")) {
                if (!keys.containsKey(parts[1])) {
                    reply(exchange, 400, errors("encryption key not found"));
                    return;
                }
                keys.get(parts[1]).add(random(32));
                created.get(parts[1]).add(System.currentTimeMillis() / 1000);
                reply(exchange, 200, data(keyInfo(parts[1])));
            } else if (method.equals("POST") && parts.length == 3 && parts[0].equals("keys") && parts[2].equals("config")) {
                int min = body.path("min_decryption_version").asInt(minDecryption.getOrDefault(parts[1], 1));
                int minEncryption = body.path("min_encryption_version").asInt(minEncryptions.getOrDefault(parts[1], 0));
                if (!keys.containsKey(parts[1]) || min < 1 || min > keys.get(parts[1]).size() || minEncryption < 0
                        || minEncryption > keys.get(parts[1]).size()) {
                    reply(exchange, 400, errors("invalid min_decryption_version or min_encryption_version"));
                    return;
                }
                minDecryption.put(parts[1], min);
                minEncryptions.put(parts[1], minEncryption);
                reply(exchange, 200, data(keyInfo(parts[1])));
            } else if (method.equals("POST") && parts.length == 3 && parts[0].equals("keys") && parts[2].equals("trim")) {
                int min = body.path("min_available_version").asInt(0);
                int minEncryption = minEncryptions.getOrDefault(parts[1], 0);
                if (!keys.containsKey(parts[1]) || minEncryption == 0) {
                    reply(exchange, 400, errors("cannot trim while min_encryption_version is zero"));
                    return;
                }
                if (min < 1 || min > Math.min(minDecryption.getOrDefault(parts[1], 1), minEncryption)) {
                    reply(exchange, 400, errors("cannot set min_available_version to a value greater than the lesser"
                            + " of min_decryption_version and min_encryption_version"));
                    return;
                }
                for (int v = 1; v < min; v++) {
                    keys.get(parts[1]).set(v - 1, null);
                }
                reply(exchange, 200, data(keyInfo(parts[1])));
            } else if (method.equals("GET") && parts.length == 2 && parts[0].equals("keys")) {
                if (!keys.containsKey(parts[1])) {
                    reply(exchange, 404, errors());
                    return;
                }
                reply(exchange, 200, data(keyInfo(parts[1])));
            } else {
                reply(exchange, 404, errors());
            }
        } catch (RuntimeException | GeneralSecurityException e) {
            reply(exchange, 500, errors(e.toString()));
        }
    }

    /** Creates the named key with one version, unless it exists (Vault leaves an existing key as it is). */
    private void create(String name) {
        keys.computeIfAbsent(name, n -> {
            created.put(n, new ArrayList<>(List.of(System.currentTimeMillis() / 1000)));
            return new ArrayList<>(List.of(random(32)));
        });
    }

    private ObjectNode keyInfo(String name) {
        ObjectNode info = JSON.createObjectNode().put("name", name).put("type", "aes256-gcm96")
                .put("latest_version", keys.get(name).size())
                .put("min_decryption_version", minDecryption.getOrDefault(name, 1))
                .put("min_encryption_version", minEncryptions.getOrDefault(name, 0))
                .put("deletion_allowed", false).put("exportable", false)
                .put("supports_encryption", true).put("supports_decryption", true);
        ObjectNode versions = info.putObject("keys");
        List<Long> times = created.get(name);
        for (int i = 0; i < times.size(); i++) {
            versions.put(Integer.toString(i + 1), times.get(i));
        }
        return info;
    }

    private ObjectNode sealed(String name, byte[] plaintext) throws GeneralSecurityException {
        List<byte[]> versions = keys.get(name);
        byte[] nonce = random(12);
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(versions.getLast(), "AES"), new GCMParameterSpec(128, nonce));
        byte[] sealed = gcm.doFinal(plaintext);
        byte[] joined = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
        return data(JSON.createObjectNode()
                .put("ciphertext", "vault:v" + versions.size() + ":" + Base64.getEncoder().encodeToString(joined))
                .put("key_version", versions.size()));
    }

    /** The plaintext, or null when the key, the version or the authentication tag does not match. */
    private byte[] open(String name, String ciphertext) {
        Matcher m = CIPHERTEXT.matcher(ciphertext);
        List<byte[]> versions = keys.get(name);
        if (!m.matches() || versions == null) {
            return null;
        }
        int version = Integer.parseInt(m.group(1));
        if (version < minDecryption.getOrDefault(name, 1) || version > versions.size() || versions.get(version - 1) == null) {
            return null;
        }
        try {
            byte[] joined = Base64.getDecoder().decode(m.group(2));
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(versions.get(version - 1), "AES"),
                    new GCMParameterSpec(128, joined, 0, 12));
            return gcm.doFinal(joined, 12, joined.length - 12);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    private static ObjectNode data(ObjectNode data) {
        ObjectNode answer = JSON.createObjectNode().put("request_id", java.util.UUID.randomUUID().toString())
                .put("lease_id", "").put("renewable", false).put("lease_duration", 0);
        answer.set("data", data);
        answer.putNull("wrap_info");
        answer.putNull("warnings");
        answer.putNull("auth");
        return answer;
    }

    private static ObjectNode errors(String... messages) {
        ObjectNode answer = JSON.createObjectNode();
        var list = answer.putArray("errors");
        for (String message : messages) {
            list.add(message);
        }
        return answer;
    }

    private static void reply(HttpExchange exchange, int status, JsonNode body) throws IOException {
        if (body == null) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
