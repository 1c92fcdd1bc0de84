package org.ternary4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import org.ternary4j.eval.calibrate.Calibrator;

/** The calibration part of quantize's output: a table per layer and a "calibration" object in the JSON report. */
final class CalibrationJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CalibrationJson() {}

    static byte[] addTo(byte[] report, String source, String steps, Calibrator.Result c) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(report);
        ObjectNode cal = root.putObject("calibration");
        cal.put("data", source);
        cal.put("steps", steps);
        ArrayNode layers = cal.putArray("layers");
        for (Calibrator.LayerReport l : c.layers()) {
            ObjectNode o = layers.addObject();
            o.put("layerIndex", l.layerIndex());
            o.put("op", l.op());
            o.put("weight", l.weight());
            o.put("inputs", l.inputs());
            o.put("samples", l.samples());
            o.put("outputErrorPlain", l.plainError());
            o.put("outputErrorCalibrated", l.calibratedError());
            o.put("biasCorrected", l.biasCorrected());
        }
        ArrayNode notes = cal.putArray("notes");
        c.notes().forEach(notes::add);
        return JSON.writeValueAsBytes(root);
    }

    static void printTable(PrintWriter out, String source, Calibrator.Result c) {
        out.println("calibration on " + source + " (relative output error Σ(w−q)ᵀH(w−q)/ΣwᵀHw on the calibration inputs):");
        out.printf(Locale.ROOT, "  %-24s %-7s %7s %9s %12s %12s %5s%n", "weight", "op", "inputs", "samples", "plain", "calibrated", "bias");
        for (Calibrator.LayerReport l : c.layers()) {
            out.printf(Locale.ROOT, "  %-24s %-7s %7d %9d %12.5f %12.5f %5s%n", l.weight(), l.op(), l.inputs(), l.samples(), l.plainError(),
                    l.calibratedError(), l.biasCorrected() ? "yes" : "no");
        }
        for (String n : c.notes()) out.println("  note " + n);
    }
}
