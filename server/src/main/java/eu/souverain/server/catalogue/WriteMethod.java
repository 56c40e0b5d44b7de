package eu.souverain.server.catalogue;

import java.util.Locale;

/**
 * How fields go back to the shop: PATCH of the changed fields (the webservice has it since
 * PrestaShop 8), or PUT of the whole resource, read first (older shops). AUTO takes PATCH when
 * the shop's PSWS-Version header says 8 or later.
 */
public enum WriteMethod {
    AUTO, PATCH, PUT;

    public static WriteMethod of(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the write method must be auto, patch or put, not '" + name + "'");
        }
    }

    /** PATCH or PUT for a shop that says it runs {@code version} (null when it says nothing). */
    WriteMethod resolve(String version) {
        if (this != AUTO) {
            return this;
        }
        if (version == null) {
            return PUT;
        }
        try {
            return Integer.parseInt(version.strip().split("\\.")[0]) >= 8 ? PATCH : PUT;
        } catch (NumberFormatException e) {
            return PUT;
        }
    }
}
