/**
 * Ternarizing ONNX models: {@link org.ternary4j.formats.onnx.OnnxTernarizer#run}.
 *
 * <h2>What is read</h2>
 * Weights in {@code graph.initializer}, in Constant nodes ({@code value}), in the subgraphs of
 * If/Loop/Scan (GRAPH and GRAPHS attributes, with ONNX's scoping: a subgraph sees its enclosing
 * graphs' names, and its own names shadow them), stored as raw_data or typed fields, FLOAT,
 * FLOAT16, BFLOAT16 or DOUBLE. External data ({@code data_location = EXTERNAL}) is resolved
 * against the model's folder; a location that is absolute, contains {@code ..} or is a link
 * pointing outside the folder is refused. Tensor bytes are mapped per tensor (FFM), so data files
 * and offsets over 2 GB work without whole-file arrays. The protobuf is parsed with a recursion
 * limit of {@value org.ternary4j.formats.onnx.OnnxModelFile#RECURSION_LIMIT} nested messages.
 *
 * <h2>Which weights</h2>
 * Conv, ConvTranspose, Gemm and MatMul whose weight operand (input 1) is a constant, and with
 * {@code embeddings} Gather tables (input 0, axis 0). Layers are numbered in execution order:
 * each graph's nodes in a stable topological order, a subgraph's layers at the position of the
 * node that owns it. By default the first and last layer stay full precision ({@code allLayers}
 * lifts that); embeddings do not count as first or last. First and last are per execution path:
 * the branches of an If are alternatives, so when each branch holds a whole network (Silero VAD's
 * 8 kHz and 16 kHz models) each keeps its own first and last layer; Loop and Scan bodies count as
 * in line with their graph. {@code include}/{@code exclude} take
 * {@link org.ternary4j.formats.onnx.NamePattern}s: globs ({@code *}, {@code ?}; {@code *} crosses
 * {@code /} and {@code .}) or {@code re:}regexes, matched against the whole weight or node name.
 * A weight shared by several nodes is ternarized once, grouped as its first use lays it out; an
 * Identity of a constant (how PyTorch exports tied parameters) stands for that constant.
 *
 * <h2>Per output channel</h2>
 * Each weight is permuted into core's canonical [out, in, spatial…] before grouping and back
 * after ({@link org.ternary4j.formats.onnx.WeightLayout}): Gemm transB=0 and MatMul store
 * [in, out]; ConvTranspose stores [in, out/groups, k…]; Conv (grouped or not) and Gemm transB=1
 * are canonical. Conv-only groupings (kernel, fiber) fall back to row for rank-2 weights.
 *
 * <h2>BatchNorm folding</h2>
 * With {@code foldBn}, an inference-mode BatchNormalization that is the only consumer of a
 * ternarized Conv/ConvTranspose/Gemm output is folded: the unfolded weight is ternarized, then
 * each output channel's scales are multiplied by |s_c|, s_c = γ_c/√(σ²_c+ε), and
 * the bias becomes s_c·b_c + β_c − s_c·μ_c (Gemm: the β − s·μ part divided by Gemm's beta). The
 * codes stay the unfolded weight's codes, except that a channel with s_c &lt; 0 has its codes
 * negated and its two scales swapped, so every scale stays ≥ 0 (core and the packed format
 * require that) while the values are exactly s_c times the unfolded ternary values. Groupings
 * whose groups span channels cannot carry s_c in one scale: with
 * {@code tensor} (and syq-* on FC layers) the stored tensor has one scale per output channel
 * ({@code row}), with syq-pixel on convs one per (channel, pixel) ({@code fiber}); the report's
 * grouping column says so ({@code "tensor→row +bn (per-channel scales)"}). syq-row on convs
 * cannot be folded and is left with its BatchNorm (a note says so). Layers kept full precision
 * are not folded. The BatchNorm node goes, the layer takes over its output name, a bias
 * initializer is added when the layer had none, and BatchNorm parameters nothing else uses go.
 *
 * <h2>What is written</h2>
 * The same model with each ternarized weight replaced by its dequantized values in the original
 * type, layout and place (initializer, Constant, raw or typed, embedded or external); all other
 * bytes are unchanged. Scales are rounded to the weight's type, so the returned
 * {@link org.ternary4j.formats.onnx.OnnxTernaryTensor}s stand exactly for the written values.
 * Tensors that were external go to {@code OUT.data} beside the output (64-byte aligned); the
 * output never points into the input's files, and inputs are never modified. The data file and
 * the model are each written atomically (data first).
 */
package org.ternary4j.formats.onnx;
