package org.ternary4j.cli;

import org.ternary4j.formats.safetensors.TensorInfo;

/** One input tensor and whether quantize ternarizes it or copies it unchanged. */
record TensorPlan(TensorInfo tensor, boolean ternarize) {
}
