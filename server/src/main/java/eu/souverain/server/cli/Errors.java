package eu.souverain.server.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** One line for the user from an exception: what went wrong, without a stack trace. */
final class Errors {

    private Errors() {}

    static String describe(Throwable e) {
        return switch (e) {
            case NoSuchFileException missing -> "file not found: " + missing.getFile();
            case AccessDeniedException denied -> "permission denied: " + denied.getFile();
            default -> e.getMessage() != null ? e.getMessage() : e.toString();
        };
    }
}
