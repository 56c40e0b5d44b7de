package eu.souverain.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's rate of float fused multiply-adds through the Vector API, on as many threads as
 * the bench runs: each thread chains multiply-adds in sixteen independent registers, more than the
 * FMA latency times the units can keep busy, and the fastest of several passes counts. Prompt
 * processing does one multiply-add per weight per token in float lanes, so this rate bounds it as
 * the read bandwidth bounds decoding.
 */
final class FmaThroughput {

    /** What one measurement found: floating-point operations per second, two per multiply-add lane. */
    record Result(double flopsPerSecond, int passes) {
        double gigaflopsPerSecond() {
            return flopsPerSecond / 1e9;
        }
    }

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /**
     * A pass is many short calls, some 50 ms in all on a current core: a thread in a long call
     * stays in the interpreter's or an on-stack-replaced version of the loop, which boxes the
     * vectors, for the whole call, where short calls switch to C2's code as soon as it is ready.
     */
    private static final int CALLS_PER_PASS = 10_000;
    private static final int STEPS_PER_CALL = 1_000;
    private static final int WARM_UP_PASSES = 2;

    private FmaThroughput() {}

    static Result measure(int threads, int passes) throws InterruptedException {
        List<Callable<Number>> shares = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            shares.add(FmaThroughput::pass);
        }
        long nanos = FastestPass.nanos(shares, WARM_UP_PASSES, passes, "multiply-add");
        double flops = 2.0 * 16 * SPECIES.length() * STEPS_PER_CALL * CALLS_PER_PASS * threads;
        return new Result(flops * 1e9 / nanos, passes);
    }

    private static float pass() {
        float total = 0;
        for (int call = 0; call < CALLS_PER_PASS; call++) {
            total += chains(STEPS_PER_CALL);
        }
        return total;
    }

    /**
     * Sixteen chains of a = a * m + c; with m just below 1 each converges to c / (1 - m), so no
     * lane overflows or turns subnormal, which would slow the units down.
     */
    private static float chains(int steps) {
        FloatVector m = FloatVector.broadcast(SPECIES, 0.999f);
        FloatVector c = FloatVector.broadcast(SPECIES, 0.001f);
        FloatVector a0 = FloatVector.broadcast(SPECIES, 0.5f);
        FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        for (int i = 0; i < steps; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
            a12 = a12.fma(m, c);
            a13 = a13.fma(m, c);
            a14 = a14.fma(m, c);
            a15 = a15.fma(m, c);
        }
        FloatVector sum = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7)
                .add(a8).add(a9).add(a10).add(a11).add(a12).add(a13).add(a14).add(a15);
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
