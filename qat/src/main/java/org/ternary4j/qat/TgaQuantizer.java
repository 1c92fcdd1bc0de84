package org.ternary4j.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import java.util.List;
import org.ternary4j.core.grouping.Grouping;
import org.ternary4j.core.projection.Gaussian;
import org.ternary4j.core.projection.Tga;

/**
 * TGA (spec §2.5), per layer: μ, σ of w, learned δ (initially {@link Tga#DEFAULT_DELTA_RATIO}·max|w|),
 * th = min(|δ|, 3σ), codes +1 above μ+th and −1 below μ−th (core's {@link Tga#writeCodes}, as
 * post-training), α = μ + σ·λ(th/σ). W_q = α·t + (w − sg(w)): identity STE for w, and autograd
 * flows through α into w (via μ, σ) and into δ. λ has no NDArray form, so it enters as its
 * first-order expansion around the current z: value λ(z₀), slope λ'(z₀) = λ(λ − z).
 */
public final class TgaQuantizer implements WeightQuantizer {
    /** The authors clamp δ's gradient to ±0.001. */
    public static final float DELTA_GRADIENT_CLAMP = 0.001f;
    private final Parameter delta = Parameter.builder().setName("tga_delta").setType(Parameter.Type.OTHER)
            .optShape(new Shape()).optInitializer(Initializer.ONES).build();

    @Override
    public List<Parameter> parameters() {
        return List.of(delta);
    }

    @Override
    public void prepare(Shape weightShape) {
        delta.setShape(new Shape());
    }

    @Override
    public void initialise(NDArray weight, List<NDArray> params) {
        params.get(0).set(new float[] {(float) (weight.stopGradient().abs().max().getFloat() * Tga.DEFAULT_DELTA_RATIO)});
    }

    @Override
    public NDArray effective(NDArray w, List<NDArray> params) {
        NDArray d = params.get(0);
        NDArray ws = w.stopGradient();
        NDArray identity = w.sub(ws);
        NDArray mu = w.mean();
        NDArray sigma = w.sub(mu).square().mean().sqrt();
        double muV = mu.getFloat(), sigmaV = sigma.getFloat(), dV = Math.abs(d.getFloat());
        // σ = 0: constant weights, nothing outside μ ± th; σ appears in a denominator below.
        if (sigmaV == 0) return identity;
        boolean deltaBinds = dV < 3 * sigmaV;
        NDArray th = deltaBinds ? d.abs() : EngineArrays.mul(sigma, 3f);
        double thV = deltaBinds ? dV : 3 * sigmaV;
        byte[] codes = new byte[Math.toIntExact(ws.size())];
        Tga.writeCodes(ws.toFloatArray(), codes.length, muV, thV, codes);
        NDArray t = CoreCodes.asTensor(codes, ws);
        NDArray z = th.div(sigma);
        double z0 = thV / sigmaV;
        NDArray lambda = EngineArrays.mul(z.sub(z.stopGradient()), (float) Gaussian.inverseMillsDerivative(z0)).add((float) Gaussian.inverseMills(z0));
        NDArray alpha = mu.add(sigma.mul(lambda));
        // The scale of a code cannot flip sign (core's Tga stops it at zero too).
        if (alpha.getFloat() < 0) return identity;
        return t.mul(alpha).add(identity);
    }

    @Override
    public Grouping grouping() {
        return new Grouping.WholeTensor();
    }

    @Override
    public List<Parameter> alternatingParameters() {
        return List.of(delta);
    }
}
