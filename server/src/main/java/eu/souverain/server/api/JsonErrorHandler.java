package eu.souverain.server.api;

import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error pages as the API's JSON error, with a request id: what Jetty refuses before any
 * route runs (an ambiguous or NUL-carrying path, headers over the limit: 431, a URI over the limit:
 * 414, a request that is not HTTP) reads as what a route refuses, never as an HTML page. This one
 * answers for the server; {@link ForServlets} for the servlet context, the other place Jetty answers
 * errors from.
 */
final class JsonErrorHandler extends ErrorHandler {

    /** The {@code code} of an error known only by its status. */
    static String codeOf(int status) {
        return switch (status) {
            case 400 -> "invalid_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "request_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "request_headers_too_large";
            case 500 -> "internal_error";
            case 501 -> "not_implemented";
            case 505 -> "http_version_not_supported";
            default -> "http_" + status;
        };
    }

    /** What a client can do about an error refused before routing; Jetty's own reason is only its status's name. */
    private static String messageOf(int status) {
        return switch (status) {
            case 400 -> "the request is not one this server accepts: a malformed request line or header, or a path"
                    + " with an encoded '/', '\\', '..', or a control character";
            case 414 -> "the request's URI is longer than this server accepts";
            case 431 -> "the request's headers are larger than this server accepts";
            default -> "the request was refused: " + HttpStatus.getMessage(status);
        };
    }

    static Map<String, Object> body(int status, String message) {
        return ApiError.body(message, status >= 500 ? "server_error" : "invalid_request_error", null, codeOf(status));
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        writeJson(request, response, code, cause, callback);
    }

    /** The servlet context's error pages, as JSON too. */
    static final class ForServlets extends org.eclipse.jetty.ee10.servlet.ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) {
            writeJson(request, response, code, cause, callback);
        }
    }

    private static void writeJson(Request request, Response response, int code, Throwable cause, Callback callback) {
        String id = response.getHeaders().get(RequestIds.HEADER);
        if (id == null) {
            id = RequestIds.of(null);
            response.getHeaders().put(RequestIds.HEADER, id);
        }
        // Jetty's own refusals (501, 505) are the client's doing, not a failure to log as one.
        String answer = code >= 500 && !(cause instanceof HttpException)
                ? InternalErrors.log(request.getMethod() + " " + request.getHttpURI().getPath(), id, cause)
                : messageOf(code);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(Json.bytes(body(code, answer))), callback);
    }
}
