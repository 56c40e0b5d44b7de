package eu.souverain.server.batch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import eu.souverain.server.tenancy.Principal;
import java.util.Map;

/**
 * How a job's line runs: the API's own request handling for {@code endpoint}, through the model
 * calls as an interactive request of {@code caller} would (residency, limits, audit, usage,
 * provenance), answered with the body an interactive request would get.
 */
public interface LineCalls {

    /** The answer's body; throws {@link LineFailure} for a request refused or failed. */
    Map<String, Object> run(Principal caller, String endpoint, ObjectNode body) throws LineFailure;
}
