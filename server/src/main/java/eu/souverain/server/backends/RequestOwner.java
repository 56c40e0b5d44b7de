package eu.souverain.server.backends;

import java.util.function.Supplier;

/**
 * Whose request a backend is running: an opaque key (the API binds the caller's organization) by
 * which the local models share their queue and places fairly. Bound for the length of one call
 * on the calling thread; a call made outside any binding is the anonymous owner's, "".
 */
public final class RequestOwner {

    private static final ScopedValue<String> KEY = ScopedValue.newInstance();

    private RequestOwner() {}

    /** Runs {@code call} as {@code owner}'s. */
    public static <T> T as(String owner, Supplier<T> call) {
        return ScopedValue.where(KEY, owner).call(call::get);
    }

    static String current() {
        return KEY.orElse("");
    }
}
