package eu.souverain.engine.tensor;

/**
 * The tensor element types a GGUF file can name, with ggml's numeric ids and block layouts.
 *
 * <p>Every type ggml has defined is listed so that a file can be read and inspected even when
 * the engine has no kernel for one of its tensors; {@link #hasKernel()} says which ones can
 * run. Ids 4, 5, 31-33 and 36-38 belonged to layouts ggml has removed and are refused.
 */
public enum GGMLType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17);

    /** Elements per block of the K-quant types ("super-block" in ggml's terms). */
    public static final int QK_K = 256;

    private static final GGMLType[] BY_ID = new GGMLType[64];

    static {
        for (GGMLType type : values()) {
            BY_ID[type.id] = type;
        }
    }

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GGMLType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The type with this ggml id, or null when ggml defines none (or no longer does). */
    public static GGMLType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    public int id() {
        return id;
    }

    /** Elements stored together in one block (1 for the plain float and integer types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes one block occupies. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Bytes taken by {@code elements} values, which must be a whole number of blocks. */
    public long byteSize(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    this + " stores blocks of " + blockSize + " elements; " + elements + " is not a multiple");
        }
        return elements / blockSize * blockBytes;
    }

    /** Whether the engine can compute with tensors of this type. */
    public boolean hasKernel() {
        return WeightFormat.of(this) != null;
    }
}
