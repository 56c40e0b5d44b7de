package eu.souverain.server.limits;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Principal;
import java.time.Clock;
import java.util.List;

/**
 * A model call's limits and accounting, from its caller: admitted against the limits of the
 * caller's organization and of the user or key it acts as, then recorded and charged once its
 * tokens are known.
 */
public final class Metering {

    private final LimitSettings settings;
    private final Admission admission;
    private final UsageRecords usage;
    private final Clock clock;

    public Metering(Database database, AuditLog audit, Clock clock) {
        this.settings = new LimitSettings(database, audit);
        this.admission = new Admission(database);
        this.usage = new UsageRecords(database);
        this.clock = clock;
    }

    /** The limits administrators set. */
    public LimitSettings settings() {
        return settings;
    }

    /** Counts the call against its caller's limits, or throws {@link LimitExceeded} naming the one it meets. */
    public Admission.Granted admit(Principal caller) {
        return admission.admit(caller.organizationId(), subjects(caller), clock.instant());
    }

    /** Records a finished call (whatever its outcome) and charges its tokens to its caller's limits. */
    public void settle(Principal caller, UsageRecord record) {
        usage.record(record);
        admission.charge(caller.organizationId(), subjects(caller), record.promptTokens() + record.completionTokens(),
                clock.instant());
    }

    public Clock clock() {
        return clock;
    }

    /** The calls recorded, for usage reports. */
    public UsageRecords usage() {
        return usage;
    }

    private static List<Subject> subjects(Principal caller) {
        return List.of(new Subject(Subject.Kind.ORGANIZATION, caller.organizationId()),
                new Subject(caller.isUser() ? Subject.Kind.USER : Subject.Kind.KEY, caller.actorId()));
    }
}
