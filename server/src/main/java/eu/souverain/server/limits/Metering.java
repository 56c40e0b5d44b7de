package eu.souverain.server.limits;

import eu.souverain.server.audit.AuditLog;
import eu.souverain.server.store.Database;
import eu.souverain.server.tenancy.Principal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A model call's limits and accounting, from its caller: admitted against the limits of the
 * caller's organization, of each of the user's groups and of the user or key it acts as, then recorded and charged once its
 * tokens are known, with an estimate of the energy it took where the operator gave its backend a
 * figure (watt-hours per 1,000 tokens).
 */
public final class Metering {

    private final LimitSettings settings;
    private final Admission admission;
    private final UsageRecords usage;
    private final Clock clock;
    private final Map<String, Double> whPerThousandTokens;

    /** Metering without energy figures: no call's energy is estimated. */
    public Metering(Database database, AuditLog audit, Clock clock) {
        this(database, audit, clock, Map.of());
    }

    /** {@code whPerThousandTokens}: the operator's figure for each backend named, in watt-hours per 1,000 tokens. */
    public Metering(Database database, AuditLog audit, Clock clock, Map<String, Double> whPerThousandTokens) {
        this.settings = new LimitSettings(database, audit);
        this.admission = new Admission(database);
        this.usage = new UsageRecords(database);
        this.clock = clock;
        whPerThousandTokens.forEach((backend, figure) -> {
            if (!Double.isFinite(figure) || figure < 0) {
                throw new IllegalArgumentException("the energy figure of backend '" + backend
                        + "' must be a number of watt-hours per 1,000 tokens, at least 0; was " + figure);
            }
        });
        this.whPerThousandTokens = Map.copyOf(whPerThousandTokens);
    }

    /** The estimate of a call of {@code tokens} on {@code backend}, or null when its figure is not set. */
    public Double energyWh(String backend, long tokens) {
        Double figure = whPerThousandTokens.get(backend);
        return figure == null ? null : tokens * figure / 1000.0;
    }

    /** The operator's figures, watt-hours per 1,000 tokens by backend; a backend missing has none. */
    public Map<String, Double> energyFigures() {
        return whPerThousandTokens;
    }

    /** The limits administrators set. */
    public LimitSettings settings() {
        return settings;
    }

    /**
     * Counts the call against its caller's limits and those of the caller's {@code groups}, or
     * throws {@link LimitExceeded} naming the one it meets.
     */
    public Admission.Granted admit(Principal caller, List<String> groups) {
        return admission.admit(caller.organizationId(), subjects(caller, groups), clock.instant());
    }

    /** Records a finished call (whatever its outcome) and charges its tokens to its caller's and groups' limits. */
    public void settle(Principal caller, List<String> groups, UsageRecord record) {
        usage.record(record);
        admission.charge(caller.organizationId(), subjects(caller, groups),
                record.promptTokens() + record.completionTokens(), clock.instant());
    }

    public Clock clock() {
        return clock;
    }

    /** The calls recorded, for usage reports. */
    public UsageRecords usage() {
        return usage;
    }

    private static List<Subject> subjects(Principal caller, List<String> groups) {
        List<Subject> subjects = new ArrayList<>();
        subjects.add(new Subject(Subject.Kind.ORGANIZATION, caller.organizationId()));
        groups.forEach(group -> subjects.add(new Subject(Subject.Kind.GROUP, group)));
        subjects.add(new Subject(caller.isUser() ? Subject.Kind.USER : Subject.Kind.KEY, caller.actorId()));
        return subjects;
    }
}
