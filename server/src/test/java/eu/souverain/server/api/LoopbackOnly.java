package eu.souverain.server.api;

import java.io.IOException;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The JVM's default proxy selector, replaced by one that records every address an HTTP client
 * (OkHttp, the JDK's HttpClient) asks to connect to, so that a test can prove its client
 * called nothing but the server on loopback: no telemetry, no default endpoint.
 */
final class LoopbackOnly extends ProxySelector {

    private final ProxySelector previous;
    private final List<URI> uris = new CopyOnWriteArrayList<>();

    private LoopbackOnly(ProxySelector previous) {
        this.previous = previous;
    }

    static LoopbackOnly install() {
        LoopbackOnly selector = new LoopbackOnly(ProxySelector.getDefault());
        ProxySelector.setDefault(selector);
        return selector;
    }

    void uninstall() {
        ProxySelector.setDefault(previous);
    }

    /** Every address asked for since {@link #install}. */
    List<URI> uris() {
        return List.copyOf(uris);
    }

    @Override
    public List<Proxy> select(URI uri) {
        uris.add(uri);
        return List.of(Proxy.NO_PROXY);
    }

    @Override
    public void connectFailed(URI uri, SocketAddress address, IOException e) {
    }
}
