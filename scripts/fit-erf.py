#!/usr/bin/env python3
"""The rational fit behind the runtime's vector erf (VectorOps.erf): erf(x) ≈ x·P(x²)/Q(x²) on
[0, 4], P of degree 5, Q of degree 6 with Q(0) = 1, by linearized least squares (f·Q − P = 0)
reweighted towards equal ripple (Sanathanan–Koerner iterations). Prints the float32
coefficients and the error of evaluating them in float with FMAs as the kernel does.
Needs numpy and scipy (scipy.special.erf is the reference)."""
import numpy as np
from scipy.special import erf

X, NP, NQ = 4.0, 6, 6  # interval end; coefficients of P; coefficients of Q after its constant 1
x = (np.cos(np.linspace(0, np.pi, 40001)) + 1) * X / 2
x = x[x > 1e-4]
u = x * x / 16.0  # t = x² scaled to [0, 1] for conditioning; folded back below
f = erf(x) / x
w = np.ones_like(x)
best = None
for _ in range(40):
    V = np.vander(u, max(NP, NQ + 1), increasing=True)
    A = np.hstack([V[:, :NP], -(f[:, None] * V[:, 1:NQ + 1])])
    sol, *_ = np.linalg.lstsq(A * w[:, None], f * w, rcond=None)
    p, q = sol[:NP], np.concatenate([[1.0], sol[NP:]])
    Q = np.polyval(q[::-1], u)
    if Q.min() <= 0:
        break
    err = x * np.polyval(p[::-1], u) / Q - erf(x)
    m = np.abs(err).max()
    if best is None or m < best[0]:
        best = (m, p.copy(), q.copy())
    w = w * (np.abs(err) / m + 0.02) ** 0.5 / Q
    w /= w.max()
m, p, q = best
P = np.array([c / 16.0 ** k for k, c in enumerate(p)], dtype=np.float32)
Q = np.array([c / 16.0 ** k for k, c in enumerate(q)], dtype=np.float32)
assert (Q > 0).all(), "Q must stay positive (no pole on t >= 0)"

xs = np.linspace(-4.5, 4.5, 200001).astype(np.float32)
xc = np.clip(xs, -4, 4).astype(np.float32)
t = (xc * xc).astype(np.float32)


def horner(c):
    acc = np.full_like(t, c[-1], dtype=np.float32)
    for k in range(len(c) - 2, -1, -1):  # one rounding per step, as an FMA
        acc = (acc.astype(np.float64) * t.astype(np.float64) + np.float64(c[k])).astype(np.float32)
    return acc


y = ((xc * horner(P)).astype(np.float32) / horner(Q)).astype(np.float32)
y = np.where(xc >= 3.86, np.float32(1), np.where(xc <= -3.86, np.float32(-1), y))
print("max |error|: %.2e exact arithmetic, %.2e in float" % (m, np.abs(y.astype(np.float64) - erf(xs.astype(np.float64))).max()))
print("P (t^0 first):", ", ".join("%.9ef" % c for c in P))
print("Q (t^0 first):", ", ".join("%.9ef" % c for c in Q))
