/**
 * Packed ternary kernels (Vector API; 256-bit vectors, 512-bit where the machine has them).
 *
 * <p>Three code layouts, chosen by measurement (see {@code PackedTernaryMatrix.CodeLayout}), one
 * subclass of the sealed {@code PackedTernaryMatrix} each, which packs its codes and names its kernels.
 * <b>TRIPLES</b>, for matmul weights with one scale per row on machines with 512-bit vectors: each
 * three inputs' codes form a base-3 index 0…26, three indices per short, and a short lane is a row,
 * so the kernel ({@code TripleKernels}) looks up 32 rows' partial sums in a 27-entry table of the
 * activations with one permute (vpermw) — one permute and one add per 96 weights, 1.80 bits per
 * weight at 4096 inputs. It measured 2× the 2-bit kernel's speed with the weights in cache, and
 * once its codes were ordered in row blocks × step blocks (so each step block's tables stay in L1)
 * also streaming from memory (4096² GEMV on one thread: 180–280 µs against 350–420 µs).
 *
 * <p><b>TWO_BIT</b>, for everything else that fits 2.1 bits per weight: 2-bit codes u = code + 1,
 * 128 inputs per 16-short chunk (bits 2j..2j+1 of short lane i = input 16·j + i), rows in
 * chunk-interleaved tiles of four, so one shift turns a chunk into sixteen int16 lanes and the
 * four-row kernel reads one sequential stream. Bit-planes were not kept: the prototype found int16
 * lanes faster, and four separate row streams ran at a third of the memory bandwidth. On machines
 * without 512-bit vectors the matrices TRIPLES would take there stay TWO_BIT, and their int8
 * product of 8 or more vectors looks its sums up across vectors instead ({@code QuadLutGemm}: a
 * code byte, four inputs, indexes a table row of a tile's 16 or 32 vectors' signed sums), so the same layers get
 * table products and int8 activations on every machine.
 *
 * <p><b>BASE3</b> for small layers (five codes per byte, 1.6 bits, rows padded to 80 inputs
 * instead of 128, like llama.cpp's TQ1_0), chosen automatically where the 2-bit form would exceed
 * 2.1 resident bits per weight: LeNet-5's 400- and 120-wide rows and their per-row scales take 2.8
 * bits in 2-bit chunks but 1.98 in base-3. Decoding a digit costs a multiply, a mask and a shift
 * per 16 weights on top of the 2-bit kernel's work. Convolutions use TWO_BIT or BASE3: their pixel
 * kernels read 16 codes of one row at a time.
 *
 * <p>Arithmetic of the 2-bit kernels: activations are quantized to int8 per vector (scale max|x|/127, like llama.cpp's
 * Q8_K for TQ2_0) and multiplied in int16 lanes (vpmullw; the Vector API has no 8-bit
 * multiply-add). Codes are not even masked: with v_j = chunk >>> 2j, u_j = v_j − 4·v_{j+1}, so
 * Σ u_j·q_j = Σ v_j·(q_j − 4·q_{j−1}) in wrapping int16 arithmetic — one shift, one multiply and
 * one add per 16 weights. {@link org.ternary4j.runtime.kernel.TernaryMatmul#gemmExact} keeps
 * activations in float ({@link org.ternary4j.runtime.kernel.FloatKernels}: codes decoded to
 * −1/0/+1 floats through {@code PackedTernaryMatrix.stepCodes} and multiplied in with FMAs).
 *
 * <p>Convolutions at batch 1 are vectorized over output pixels instead ({@code PixelKernel}: four
 * output channels times two or four pixel vectors per register block, two times eight for a last
 * pair), reading a zero-padded view of the input planes for stride 1 ({@code PixelSource}) or a
 * transposed im2col otherwise. Their output rows stay as wide as the view's ({@code ConvOutput}):
 * the graph's epilogue and pooling read them once instead of after a compaction pass. The
 * int8 conv quantizes each pixel's window exactly as {@code QuantizedActivations} does and sums
 * the integer-valued floats exactly, so it returns the integer kernels' results bit for bit.
 *
 * <p>Stride-1 convolutions with a fused finish run over their taps ({@code TapConv}: the direct
 * sums' bits); under {@code Activations.AUTO} the 3×3 ones run by Winograd's F(2×2, 3×3)
 * ({@code WinogradConv}: 16 multiply-adds per 2×2 tile and input channel instead of 36, equal to
 * the direct sums up to rounding). Exact products of many activation rows go through decoded
 * weights ({@code DecodedGemm}): from 6 rows (8 on the int8 path) to 128 the weight rows are the rows of the panel
 * product and the activations its panels, from 129 panels of gathered weights.
 *
 * <p>Determinism: work is split by output rows only; every output is computed by one thread with
 * integer sums (exact) and a fixed float epilogue, so results have the same bits for every thread
 * count and every tiling.
 */
package org.ternary4j.runtime.kernel;
