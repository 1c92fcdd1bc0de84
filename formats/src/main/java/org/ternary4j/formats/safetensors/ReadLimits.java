package org.ternary4j.formats.safetensors;

/**
 * Sanity limits for a safetensors file, checked before anything is allocated for it: a file past
 * them is refused with a one-line error instead of exhausting memory or time. The defaults are
 * far above real models (the largest have a few thousand tensors per file) and can be raised
 * (quantize --max-tensors, --max-file-gb).
 *
 * @param maxFileBytes largest accepted file
 * @param maxTensors   most tensors (and most {@code __metadata__} entries) a header may declare
 * @param maxRank      most dimensions a shape may have
 */
public record ReadLimits(long maxFileBytes, int maxTensors, int maxRank) {
    public static final ReadLimits DEFAULT = new ReadLimits(1L << 40, 100_000, 64);

    public ReadLimits {
        if (maxFileBytes < 8 || maxTensors < 0 || maxRank < 0) {
            throw new IllegalArgumentException("read limits must be positive: file bytes " + maxFileBytes + ", tensors " + maxTensors + ", rank " + maxRank);
        }
    }

    public ReadLimits withMaxFileBytes(long bytes) {
        return new ReadLimits(bytes, maxTensors, maxRank);
    }

    public ReadLimits withMaxTensors(int tensors) {
        return new ReadLimits(maxFileBytes, tensors, maxRank);
    }
}
