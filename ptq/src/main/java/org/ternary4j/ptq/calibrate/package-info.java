/**
 * Calibrated post-training ternarization of ONNX models (no retraining):
 * {@link org.ternary4j.ptq.calibrate.CalibratedTernarizer#run} feeds example inputs from a
 * training split ({@link org.ternary4j.ptq.calibrate.CalibrationInputs}; test splits are refused)
 * through the model in ONNX Runtime and ternarizes layer by layer in graph order on the partially
 * ternarized model ({@link org.ternary4j.ptq.calibrate.Calibrator}). Per layer, on the Gram matrix
 * H of its actual inputs ({@link org.ternary4j.ptq.calibrate.InputStats}, conv patches via
 * {@link org.ternary4j.ptq.calibrate.ConvGeometry}): activation-weighted exact projection,
 * least-squares scale refit ({@link org.ternary4j.ptq.calibrate.ScaleRefit}), GPTQ-style ternary
 * error feedback ({@link org.ternary4j.ptq.calibrate.TernaryGptq}), coordinate descent over codes
 * ({@link org.ternary4j.ptq.calibrate.CodeDescent}), a full-precision output target
 * ({@link org.ternary4j.ptq.calibrate.FpTarget}) and bias correction; optionally mixed precision
 * under a bits/weight budget: per layer a ternary grouping or INT8/FP16, chosen by measured
 * sensitivity ({@link org.ternary4j.ptq.calibrate.MixedPrecision}, {@link org.ternary4j.ptq.calibrate.GroupingBudget}).
 * The inputs stream through the model stretch by stretch between layers
 * ({@link org.ternary4j.ptq.calibrate.Stretches}), so each model state is run once, not once per layer;
 * the values between stretches wait in temporary files, one part of the examples in memory at a
 * time ({@link org.ternary4j.ptq.calibrate.Cut}). Models with an {@code attention_mask} run their
 * examples in order of real length, each batch only up to its last real token
 * ({@link org.ternary4j.ptq.calibrate.TokenCut}); padded rows never enter a statistic.
 * Supported layers: top-level Conv (2-D, group 1), Gemm (transA 0, alpha 1) and MatMul with FLOAT
 * initializer weights; other chosen layers get the plain projection (a note says so). Everything
 * is single-threaded double-precision arithmetic in a fixed order, so the output is the same bytes
 * on every run. The results and the exact commands are in CALIBRATION.md at the repository root.
 */
package org.ternary4j.ptq.calibrate;
