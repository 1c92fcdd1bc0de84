package org.ternary4j.runtime.kernel;

import jdk.incubator.vector.FloatVector;

/** The one question the kernels ask of the machine. */
final class VectorWidth {
    private VectorWidth() {}

    /**
     * Whether 512-bit vectors are native (AVX-512). The kernels with 512-bit variants take them
     * only then: elsewhere the JDK emulates 512-bit species, slowly. The pixel kernels simply use
     * the preferred species, since their lanes are independent pixels and the width changes no result.
     */
    static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
}
