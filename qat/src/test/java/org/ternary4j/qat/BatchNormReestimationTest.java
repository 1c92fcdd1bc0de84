package org.ternary4j.qat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.ternary4j.core.grouping.Grouping;

/**
 * Re-estimation against a brute-force oracle: after many train-mode passes over one and the
 * same batch, bn1's running mean and (unbiased) variance are those of conv1's output on that
 * batch, computed here by a direct convolution in double.
 */
class BatchNormReestimationTest {
    @Test
    void runningStatisticsConvergeToTheBatchStatisticsOfTheCurrentWeights() {
        FashionMnist.Split data = TestData.train(64);
        int n = data.count();
        Network net = new Network(Architecture.LENET5, Method.FP, new Grouping.WholeTensor(), Set.of());
        try (TrainingSession s = new TrainingSession(net, 3, 1e-3f, 1)) {
            int[] order = new int[n * 150];
            for (int i = 0; i < order.length; i++) order[i] = i % n;
            s.reestimateBatchNorm(data, order, 150, n);
            Map<String, FloatTensor> p = s.exportParameters();
            float[] w = p.get("conv1.weight").data(), b = p.get("conv1.bias").data();
            for (int c = 0; c < 6; c++) {
                double sum = 0, sq = 0;
                long count = 0;
                for (int img = 0; img < n; img++) {
                    for (int y = 0; y < 28; y++) {
                        for (int x = 0; x < 28; x++) {
                            double v = b[c];
                            for (int ky = 0; ky < 5; ky++) {
                                for (int kx = 0; kx < 5; kx++) {
                                    int iy = y + ky - 2, ix = x + kx - 2;
                                    if (iy >= 0 && iy < 28 && ix >= 0 && ix < 28) v += w[c * 25 + ky * 5 + kx] * data.pixels()[img * 784 + iy * 28 + ix];
                                }
                            }
                            sum += v;
                            sq += v * v;
                            count++;
                        }
                    }
                }
                double mean = sum / count, var = (sq - count * mean * mean) / (count - 1);
                assertEquals(mean, p.get("bn1.mean").data()[c], 1e-4 * Math.max(1, Math.abs(mean)), "running mean of channel " + c);
                assertEquals(var, p.get("bn1.var").data()[c], 1e-3 * Math.max(1, var), "running variance of channel " + c);
            }
        }
    }
}
