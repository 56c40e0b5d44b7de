package eu.souverain.server.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The master key as a named key of a HashiCorp Vault or OpenBao Transit secrets engine: data keys
 * are wrapped and unwrapped by its encrypt and decrypt endpoints, so the master key never leaves
 * Vault. Ciphertexts are Vault's own {@code vault:vN:...} strings, which name the key version.
 */
public final class TransitMasterKey implements MasterKey {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VERSIONED = Pattern.compile("vault:v(\\d+):.+");
    private static final Pattern KEY_URL = Pattern.compile("(https?://[^/]+)/(?:v1/)?(.+)/keys/([^/]+)/?");

    private final URI address;
    private final String mount;
    private final String name;
    private final String token;
    private final HttpClient client;

    /**
     * @param address Vault's address, e.g. {@code https://vault.internal:8200}
     * @param mount   where the Transit engine is mounted, e.g. {@code transit}
     * @param name    the key's name
     * @param token   a token whose policy allows encrypt, decrypt and rewrap (and rotate, to rotate)
     */
    public TransitMasterKey(URI address, String mount, String name, String token) {
        this.address = address;
        this.mount = mount;
        this.name = name;
        this.token = token;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** From the key's URL, {@code https://HOST:8200/MOUNT/keys/NAME} ({@code /v1/} may precede MOUNT). */
    public static TransitMasterKey fromUrl(String url, String token) {
        Matcher m = KEY_URL.matcher(url);
        if (!m.matches()) {
            throw new VaultException("a Transit key URL has the form https://HOST:PORT/MOUNT/keys/NAME, not '" + url + "'");
        }
        if (token == null || token.isBlank()) {
            throw new VaultException("the Transit key " + url + " needs a Vault token: set VAULT_TOKEN");
        }
        return new TransitMasterKey(URI.create(m.group(1)), m.group(2), m.group(3), token);
    }

    @Override
    public String provider() {
        return "Vault Transit key '" + name + "' at " + address + "/v1/" + mount;
    }

    /** The latest version; the key is created (aes256-gcm96) if Vault does not have it yet. */
    @Override
    public String currentKeyId() {
        JsonNode data = call("GET", "keys/" + name, null);
        if (data == null) {
            call("POST", "keys/" + name, JSON.createObjectNode().put("type", "aes256-gcm96"));
            data = call("GET", "keys/" + name, null);
        }
        if (data == null || !data.path("latest_version").canConvertToInt()) {
            throw new VaultException("Vault at " + address + " does not describe the Transit key '" + name + "'");
        }
        return versionId(data.path("latest_version").asInt());
    }

    @Override
    public String keyId(byte[] wrapped) {
        Matcher m = VERSIONED.matcher(new String(wrapped, StandardCharsets.UTF_8));
        if (!m.matches()) {
            throw new VaultException("a wrapped data key is not a Vault Transit ciphertext (vault:vN:...)");
        }
        return versionId(Integer.parseInt(m.group(1)));
    }

    private String versionId(int version) {
        return "transit:" + name + ":v" + version;
    }

    @Override
    public byte[] wrap(byte[] plaintext) {
        ObjectNode body = JSON.createObjectNode().put("plaintext", Base64.getEncoder().encodeToString(plaintext));
        return ciphertext(call("POST", "encrypt/" + name, body));
    }

    @Override
    public byte[] unwrap(byte[] wrapped) {
        ObjectNode body = JSON.createObjectNode().put("ciphertext", new String(wrapped, StandardCharsets.UTF_8));
        JsonNode plaintext = call("POST", "decrypt/" + name, body).path("plaintext");
        if (!plaintext.isTextual()) {
            throw new VaultException("Vault's decrypt answer for key '" + name + "' has no plaintext");
        }
        return Base64.getDecoder().decode(plaintext.asText());
    }

    @Override
    public byte[] rewrap(byte[] wrapped) {
        ObjectNode body = JSON.createObjectNode().put("ciphertext", new String(wrapped, StandardCharsets.UTF_8));
        return ciphertext(call("POST", "rewrap/" + name, body));
    }

    @Override
    public String rotate() {
        call("POST", "keys/" + name + "/rotate", JSON.createObjectNode());
        return currentKeyId();
    }

    /**
     * Raises the key's minimum decryption and encryption versions to the latest, then trims the
     * older versions away (Vault trims only below both minimums, and neither may be zero).
     */
    @Override
    public void retireOlderVersions() {
        String current = currentKeyId();
        int latest = Integer.parseInt(current.substring(current.lastIndexOf(":v") + 2));
        call("POST", "keys/" + name + "/config", JSON.createObjectNode().put("min_decryption_version", latest)
                .put("min_encryption_version", latest));
        call("POST", "keys/" + name + "/trim", JSON.createObjectNode().put("min_available_version", latest));
    }

    private byte[] ciphertext(JsonNode data) {
        JsonNode ciphertext = data.path("ciphertext");
        if (!ciphertext.isTextual() || !VERSIONED.matcher(ciphertext.asText()).matches()) {
            throw new VaultException("Vault's answer for key '" + name + "' has no vault:vN: ciphertext");
        }
        return ciphertext.asText().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The {@code data} object of Vault's answer, or null for a GET of something Vault does not have;
     * an error answer becomes a VaultException naming it.
     */
    private JsonNode call(String method, String path, JsonNode body) {
        URI uri = URI.create(address + "/v1/" + mount + "/" + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("X-Vault-Token", token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.toString()));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new VaultException("cannot reach Vault at " + address + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VaultException("interrupted while calling Vault at " + address, e);
        }
        JsonNode answer;
        try {
            answer = response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new VaultException("Vault at " + address + " answered " + response.statusCode() + " to " + method + " "
                    + uri.getPath() + " with a body that is not JSON", e);
        }
        if (response.statusCode() == 404 && method.equals("GET")) {
            return null;
        }
        if (response.statusCode() / 100 != 2) {
            throw new VaultException("Vault at " + address + " refused " + method + " " + uri.getPath() + ": "
                    + response.statusCode() + " " + answer.path("errors"));
        }
        return answer.path("data");
    }
}
