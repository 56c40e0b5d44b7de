package eu.souverain.server.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Whether serve's port is free, asked before the server starts: the HTTP server's own failure
 * comes with a logged stack trace and without the address.
 */
final class PortCheck {

    private PortCheck() {}

    static void requireFree(String host, int port) throws IOException {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
        } catch (BindException e) {
            throw new IllegalArgumentException("port " + port + " on " + host + " is in use (another server, or"
                    + " souverain already running?): stop it, or give another --port (--port 0 picks a free one)");
        }
    }
}
