package eu.souverain.server.backends;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendsFileTest {

    private static final Map<String, String> ENV = Map.of("MISTRAL_API_KEY", "sk-secret");

    private static List<RemoteBackend.Config> parse(String json) {
        return BackendsFile.parse("backends.json", json, ENV::get);
    }

    /** A valid declaration of backend {@code name} serving {@code model}, with {@code extra} members. */
    private static String entry(String name, String model, String extra) {
        return """
                {"name": "%s", "kind": "openai-compatible", "base_url": "http://10.0.0.5:8000/v1",
                  "models": ["%s"], "location": {"operator": "OVHcloud", "country": "FR"}%s}""".formatted(name, model, extra);
    }

    private static String file(String... entries) {
        return "{\"backends\": [" + String.join(", ", entries) + "]}";
    }

    /** A file of one valid backend, with {@code extra} members added to it. */
    private static String backend(String extra) {
        return file(entry("eu-vllm", "llama", extra));
    }

    @Test
    void readsEveryFieldAndDerivesTheJurisdiction() {
        List<RemoteBackend.Config> configs = parse("""
                {"backends": [
                  {"name": "mistral-api", "kind": "mistral", "base_url": "https://api.mistral.ai/v1",
                   "api_key": "env:MISTRAL_API_KEY", "models": {"mistral-small": "mistral-small-latest"},
                   "location": {"provider": "Mistral AI", "operator": "Mistral AI", "country": "fr", "region": "Paris",
                                "certifications": ["ISO 27001"]},
                   "timeout_seconds": 30},
                  {"name": "us-ollama", "kind": "openai-compatible", "base_url": "http://gpu.example.com:11434/v1/",
                   "api_key": "literal-key", "models": ["llama3", "qwen"],
                   "location": {"operator": "Example Inc.", "country": "US"}}
                ]}""");
        assertThat(configs).hasSize(2);
        RemoteBackend.Config mistral = configs.get(0);
        assertThat(mistral.name()).isEqualTo("mistral-api");
        assertThat(mistral.kind()).isEqualTo(RemoteBackend.Kind.MISTRAL);
        assertThat(mistral.baseUrl()).isEqualTo(URI.create("https://api.mistral.ai/v1"));
        assertThat(mistral.apiKey()).isEqualTo("sk-secret");
        assertThat(mistral.models()).isEqualTo(Map.of("mistral-small", "mistral-small-latest"));
        assertThat(mistral.location()).isEqualTo(new BackendLocation("Mistral AI", "Mistral AI", "FR", "Paris", "EU",
                List.of("ISO 27001")));
        assertThat(mistral.timeout()).isEqualTo(Duration.ofSeconds(30));
        RemoteBackend.Config ollama = configs.get(1);
        assertThat(ollama.apiKey()).isEqualTo("literal-key");
        assertThat(ollama.models()).isEqualTo(Map.of("llama3", "llama3", "qwen", "qwen"));
        assertThat(ollama.location().jurisdiction()).isEqualTo("US");
        assertThat(ollama.location().provider()).as("the operator, when no provider is named").isEqualTo("Example Inc.");
        assertThat(ollama.timeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void eachMistakeIsOneLineNamingTheFileTheBackendAndTheField() {
        assertRefused("{\"backends\": [", "backends file backends.json is not valid JSON");
        assertRefused("[]", "must be a JSON object with a 'backends' array");
        assertRefused("{\"backend\": []}", "unknown field 'backend'");
        assertRefused(backend("").replace("openai-compatible", "anthropic"),
                "backend 'eu-vllm': unknown kind 'anthropic'; the kinds are 'openai-compatible'");
        assertRefused(backend("").replace("\"models\": [\"llama\"],", ""), "backend 'eu-vllm': needs 'models'");
        assertRefused(backend("").replace("[\"llama\"]", "[]"), "backend 'eu-vllm': 'models' is empty");
        assertRefused(backend("").replace("[\"llama\"]", "[\"llama\", \"llama\"]"), "model 'llama' is listed twice");
        assertRefused(backend("").replace("[\"llama\"]", "\"llama\""), "'models' must be an array of names or an object");
        assertRefused(backend(", \"timeout\": 5"), "backend 'eu-vllm': unknown field 'timeout'");
        assertRefused(backend(", \"timeout_seconds\": 0"), "'timeout_seconds' must be a whole number of seconds");
        assertRefused(backend(", \"api_key\": \"env:NOT_SET\""),
                "reads the environment variable NOT_SET, which is not set");
        assertRefused(backend("").replace("\"name\": \"eu-vllm\"", "\"name\": \"local\""), "not 'local'");
        assertRefused(backend("").replace(", \"country\": \"FR\"", ""), "location: 'country' is missing");
        assertRefused(backend("").replace("\"FR\"", "\"UK\""), "the United Kingdom is 'GB'");
        assertRefused(backend("").replace("\"FR\"", "\"XX\""), "country 'XX' is not an ISO 3166 alpha-2 code");
        assertRefused(backend("").replace("\"FR\"", "\"FR\", \"jurisdiction\": \"US\""),
                "country FR is under jurisdiction EU, not US");
        assertRefused(backend("").replace("\"FR\"", "\"FR\", \"city\": \"Roubaix\""), "unknown field 'location.city'");
        assertRefused(file(entry("eu-vllm", "llama", ""), entry("eu-vllm", "other", "")),
                "backend 'eu-vllm': the name is used twice");
        assertRefused(file(entry("eu-vllm", "llama", ""), entry("eu-2", "llama", "")),
                "backend 'eu-2': model 'llama' is served by backend 'eu-vllm' already");
    }

    @Test
    void aBaseUrlMustBeHttpOrHttpsWithAHostAndNoCredentials() {
        assertRefused(backend("").replace("http://10.0.0.5:8000/v1", "ftp://10.0.0.5/v1"),
                "'base_url' must start with http:// or https://, got 'ftp://10.0.0.5/v1'");
        assertRefused(backend("").replace("http://10.0.0.5:8000/v1", "10.0.0.5:8000/v1"),
                "'base_url' must start with http:// or https://");
        String withCredentials = backend("").replace("http://10.0.0.5:8000/v1", "https://user:hunter2@10.0.0.5/v1");
        assertThatThrownBy(() -> parse(withCredentials))
                .hasMessageContaining("'base_url' must not carry credentials")
                .message().doesNotContain("hunter2");
        assertRefused(backend("").replace("http://10.0.0.5:8000/v1", "http:///v1"), "'base_url' has no host");
        String withKeyInQuery = backend("").replace("http://10.0.0.5:8000/v1", "https://10.0.0.5/v1?key=hunter2");
        assertThatThrownBy(() -> parse(withKeyInQuery))
                .hasMessageContaining("'base_url' must not have a query")
                .message().doesNotContain("hunter2");
    }

    private static void assertRefused(String json, String message) {
        assertThatThrownBy(() -> parse(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("backends file backends.json")
                .hasMessageContaining(message)
                .message().doesNotContain("\n");
    }
}
