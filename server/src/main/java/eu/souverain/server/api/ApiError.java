package eu.souverain.server.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error response. Its body satisfies both client families: OpenAI's SDKs read the nested
 * {@code error} object, Mistral's read the top-level {@code object/message/type/param/code}
 * fields its API sends; each ignores the other's.
 */
final class ApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String code;
    private final String param;
    private final transient Map<String, String> headers;

    ApiError(int status, String type, String code, String param, String message, Map<String, String> headers) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
        this.headers = Map.copyOf(headers);
    }

    String code() {
        return code;
    }

    /** The request is well-formed JSON but a value is wrong or asks for what is not served. */
    static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", "invalid_value", param, message, Map.of());
    }

    /** A documented feature this server does not implement yet. */
    static ApiError unsupported(String param, String message) {
        return new ApiError(400, "invalid_request_error", "unsupported_feature", param, message, Map.of());
    }

    /** The body does not match the request schema: an unknown field, a wrong type, a missing field. */
    static ApiError schema(String code, String param, String message) {
        return new ApiError(422, "invalid_request_error", code, param, message, Map.of());
    }

    int status() {
        return status;
    }

    Map<String, String> headers() {
        return headers;
    }

    Map<String, Object> body() {
        return body(getMessage(), type, param, code);
    }

    static Map<String, Object> body(String message, String type, String param, String code) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "error");
        body.putAll(error);
        body.put("error", error);
        return body;
    }
}
