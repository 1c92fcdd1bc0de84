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
        if (c.budget() != null) budget(cal.putObject("budget"), c.budget());
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
        if (c.budget() != null) printBudget(out, c.budget());
        for (String n : c.notes()) out.println("  note " + n);
    }

    /** Per layer: the choice, its sensitivity and why; every candidate measured; the layers counted but not chosen. */
    private static void budget(ObjectNode b, GroupingBudget.Choice ch) {
        b.put("bitsPerWeightLimit", ch.budget());
        b.put("bitsPerWeight", ch.bitsPerWeight());
        ObjectNode chosen = b.putObject("chosen");
        ch.decisions().forEach((w, d) -> chosen.put(w, d.chosen().choice()));
        ArrayNode layers = b.putArray("layers");
        ch.decisions().forEach((w, d) -> {
            ObjectNode o = layers.addObject();
            o.put("layerIndex", d.chosen().layerIndex());
            o.put("weight", w);
            o.put("choice", d.chosen().choice());
            o.put("kept", d.chosen().kept());
            o.put("params", d.chosen().params());
            o.put("bitsPerWeight", d.chosen().bitsPerWeight());
            if (Double.isNaN(d.sensitivity())) o.putNull("sensitivity"); // not measured: the model has no FLOAT output (a note says so)
            else o.put("sensitivity", d.sensitivity());
            o.put("estimatedOutputError", d.chosen().error());
            o.put("why", d.why());
        });
        ArrayNode sens = b.putArray("candidates");
        for (GroupingBudget.Candidate k : ch.candidates()) {
            ObjectNode o = sens.addObject();
            o.put("layerIndex", k.layerIndex());
            o.put("weight", k.weight());
            o.put("choice", k.choice());
            o.put("bitsPerWeight", k.bitsPerWeight());
            o.put("localError", k.localError());
            o.put("estimatedOutputError", k.error());
        }
        ArrayNode fixed = b.putArray("fixed");
        for (GroupingBudget.Fixed f : ch.fixed()) {
            ObjectNode o = fixed.addObject();
            o.put("weight", f.weight());
            o.put("params", f.params());
            o.put("bitsPerWeight", f.params() == 0 ? 0 : (double) f.bits() / f.params());
            o.put("reason", f.reason());
        }
    }

    private static void printBudget(PrintWriter out, GroupingBudget.Choice ch) {
        out.printf(Locale.ROOT, "mixed precision for %.3f bits/weight over every weight layer (got %.3f); sensitivity = the model's relative output "
                + "error with the layer alone ternary:%n", ch.budget(), ch.bitsPerWeight());
        out.printf(Locale.ROOT, "  %-28s %9s %-9s %7s %11s %11s  %s%n", "weight", "params", "choice", "bits/w", "sensitivity", "est. error", "why");
        ch.decisions().forEach((w, d) -> out.printf(Locale.ROOT, "  %-28s %9d %-9s %7.3f %11.3g %11.3g  %s%n", w, d.chosen().params(),
                d.chosen().choice(), d.chosen().bitsPerWeight(), d.sensitivity(), d.chosen().error(), d.why()));
        for (GroupingBudget.Fixed f : ch.fixed()) {
            out.printf(Locale.ROOT, "  %-28s %9d %-9s %7.3f %11s %11s  %s%n", f.weight(), f.params(), "fixed", f.params() == 0 ? 0 : (double) f.bits() / f.params(),
                    "", "", f.reason());
        }
        out.println("  candidates (relative local output error; estimated model output error):");
        for (GroupingBudget.Candidate k : ch.candidates()) {
            boolean chosen = k.choice().equals(ch.choice(k.weight()));
            out.printf(Locale.ROOT, "    %-26s %-9s %7.3f bits/w %10.5f %11.3g%s%n", k.weight(), k.choice(), k.bitsPerWeight(), k.localError(), k.error(),
                    chosen ? "  <- chosen" : "");
        }
    }
}
