package eu.souverain.server.tenancy;

/**
 * Who makes a change, as the audit log names them: a user id, an API key id, {@code cli:<account>}
 * for a command run on the machine, or {@code system} for the platform itself.
 *
 * @param clientIp the client's address, or null off the network
 */
public record Actor(String id, String clientIp) {

    public static final Actor SYSTEM = new Actor("system", null);

    /** The operating-system account that runs a command on the store. */
    public static Actor commandLine() {
        return new Actor("cli:" + System.getProperty("user.name"), null);
    }
}
