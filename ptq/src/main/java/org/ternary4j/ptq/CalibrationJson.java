package org.ternary4j.ptq;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import org.ternary4j.ptq.calibrate.Calibrator;
import org.ternary4j.ptq.calibrate.GroupingBudget;

/** The calibration part of quantize's output: a table per layer and a "calibration" object in the JSON report. */
public final class CalibrationJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CalibrationJson() {}

    public static byte[] addTo(byte[] report, String source, String steps, Calibrator.Result c) throws IOException {
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
        if (c.budget() != null) {
            ObjectNode b = cal.putObject("budget");
            b.put("bitsPerWeightLimit", c.budget().budget());
            b.put("bitsPerWeight", c.budget().bitsPerWeight());
            ObjectNode chosen = b.putObject("chosen");
            c.budget().groupings().forEach(chosen::put);
            ArrayNode sens = b.putArray("sensitivity");
            for (GroupingBudget.Candidate k : c.budget().candidates()) {
                ObjectNode o = sens.addObject();
                o.put("layerIndex", k.layerIndex());
                o.put("weight", k.weight());
                o.put("grouping", k.grouping());
                o.put("bitsPerWeight", k.bitsPerWeight());
                o.put("outputError", k.error());
            }
        }
        ArrayNode notes = cal.putArray("notes");
        c.notes().forEach(notes::add);
        return JSON.writeValueAsBytes(root);
    }

    public static void printTable(PrintWriter out, String source, Calibrator.Result c) {
        out.println("calibration on " + source + " (relative output error Σ(w−q)ᵀH(w−q)/ΣwᵀHw on the calibration inputs):");
        out.printf(Locale.ROOT, "  %-24s %-7s %7s %9s %12s %12s %5s%n", "weight", "op", "inputs", "samples", "plain", "calibrated", "bias");
        for (Calibrator.LayerReport l : c.layers()) {
            out.printf(Locale.ROOT, "  %-24s %-7s %7d %9d %12.5f %12.5f %5s%n", l.weight(), l.op(), l.inputs(), l.samples(), l.plainError(),
                    l.calibratedError(), l.biasCorrected() ? "yes" : "no");
        }
        if (c.budget() != null) {
            out.printf(Locale.ROOT, "sensitivity (each layer alone; relative output error) and groupings chosen for %.3f bits/weight (got %.3f):%n",
                    c.budget().budget(), c.budget().bitsPerWeight());
            for (GroupingBudget.Candidate k : c.budget().candidates()) {
                boolean chosen = k.grouping().equals(c.budget().groupings().get(k.weight()));
                out.printf(Locale.ROOT, "  %-24s %-9s %7.3f bits/w %10.5f%s%n", k.weight(), k.grouping(), k.bitsPerWeight(), k.error(), chosen ? "  <- chosen" : "");
            }
        }
        for (String n : c.notes()) out.println("  note " + n);
    }
}
