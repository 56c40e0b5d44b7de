package eu.souverain.server.backends;

import java.util.function.Supplier;

/**
 * Whose request a backend is running: an opaque key (the API binds the caller's organization) by
 * which the local models share their queue and places fairly. Bound for the length of one call
 * on the calling thread; a call made outside any binding is the anonymous owner's, "".
 *
 * <p>A call made {@link #inBackground} (a batch job's line) runs at low priority: the local
 * models admit every interactive request waiting before it, and keep places free for them.
 */
public final class RequestOwner {

    private static final ScopedValue<String> KEY = ScopedValue.newInstance();
    private static final ScopedValue<Boolean> BACKGROUND = ScopedValue.newInstance();

    private RequestOwner() {}

    /** Runs {@code call} as {@code owner}'s. */
    public static <T> T as(String owner, Supplier<T> call) {
        return ScopedValue.where(KEY, owner).call(call::get);
    }

    /** Runs {@code call} at background priority, whoever's it is. */
    public static <T, X extends Throwable> T inBackground(ScopedValue.CallableOp<T, X> call) throws X {
        return ScopedValue.where(BACKGROUND, true).call(call);
    }

    static boolean background() {
        return BACKGROUND.orElse(false);
    }

    static String current() {
        return KEY.orElse("");
    }
}
