package eu.souverain.engine.tensor;

/**
 * The float operations of a forward pass: {@link ArrayMath}'s vector kernels, or while they are
 * not compiled yet, for small arrays, {@link ScalarKernels}, which give the same bits
 * ({@link VectorWarmUp}).
 */
public final class ForwardMath {

    private ForwardMath() {
    }

    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        return VectorWarmUp.cold(n, n) ? ScalarKernels.dot(a, aOffset, b, bOffset, n)
                : ArrayMath.dot(a, aOffset, b, bOffset, n);
    }

    public static void axpyRows(float[] y, int yOffset, float[] w, int wOffset, float[] x, int xOffset, int xStride,
                                int count, int n) {
        if (VectorWarmUp.cold((long) count * n, (long) count * n)) {
            ScalarKernels.axpyRows(y, yOffset, w, wOffset, x, xOffset, xStride, count, n);
        } else {
            ArrayMath.axpyRows(y, yOffset, w, wOffset, x, xOffset, xStride, count, n);
        }
    }

    public static void add(float[] y, int yOffset, float[] x, int xOffset, int n) {
        if (VectorWarmUp.cold(n, n)) {
            ScalarKernels.add(y, yOffset, x, xOffset, n);
        } else {
            ArrayMath.add(y, yOffset, x, xOffset, n);
        }
    }

    public static void rmsnorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int n, float eps) {
        if (VectorWarmUp.cold(n, n)) {
            ScalarKernels.rmsnorm(out, outOffset, x, xOffset, weight, n, eps);
        } else {
            ArrayMath.rmsnorm(out, outOffset, x, xOffset, weight, n, eps);
        }
    }

    public static void softmax(float[] x, int offset, int n) {
        if (VectorWarmUp.cold(n, n)) {
            ScalarKernels.softmax(x, offset, n);
        } else {
            ArrayMath.softmax(x, offset, n);
        }
    }

    public static void siluMul(float[] gate, int offset, float[] up, int upOffset, int n) {
        if (VectorWarmUp.cold(n, n)) {
            ScalarKernels.siluMul(gate, offset, up, upOffset, n);
        } else {
            ArrayMath.siluMul(gate, offset, up, upOffset, n);
        }
    }
}
