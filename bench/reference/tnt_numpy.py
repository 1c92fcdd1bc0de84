#!/usr/bin/env python3
"""The TNT authors' formulation of the exact projection (sort, cumulative sum, argmax), batched
over the rows of every 2-D float tensor of a safetensors file with numpy, written back as a
dequantized safetensors file: the whole-process baseline that `ternary4j quantize --method tnt
--grouping row` is compared with (PyTorch is not installed on the project machine; numpy's sort
and cumsum are the same single-threaded algorithms).

    /usr/bin/time -v python3 bench/reference/tnt_numpy.py IN.safetensors OUT.safetensors

Like the authors' code it keeps every weight tied with the threshold and uses the mean of the
kept magnitudes as the scale; 1-D tensors are copied. Only what the comparison needs: one file,
F32/F16/BF16 tensors.
"""
import json
import struct
import sys
import time

import numpy as np


def bf16_to_f32(raw):
    return (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(x):
    bits = x.astype(np.float32).view(np.uint32)
    rounded = bits + 0x7FFF + ((bits >> 16) & 1)
    return (rounded >> 16).astype(np.uint16).tobytes()


def decode(raw, dtype):
    if dtype == "F32":
        return np.frombuffer(raw, dtype="<f4")
    if dtype == "F16":
        return np.frombuffer(raw, dtype="<f2").astype(np.float32)
    if dtype == "BF16":
        return bf16_to_f32(raw)
    raise SystemExit(f"unsupported dtype {dtype}")


def encode(x, dtype):
    if dtype == "F32":
        return x.astype("<f4").tobytes()
    if dtype == "F16":
        return x.astype("<f2").tobytes()
    return f32_to_bf16(x)


def tnt_rows(w):
    """Rows of w -> dequantized rows: M* = argmax S_M / sqrt(M) over the sorted magnitudes."""
    a = np.abs(w)
    s = -np.sort(-a, axis=1)
    c = np.cumsum(s, axis=1, dtype=np.float64)
    f = c / np.sqrt(np.arange(1, w.shape[1] + 1))
    m = np.argmax(f, axis=1)
    rows = np.arange(w.shape[0])
    thr = s[rows, m]
    scale = (c[rows, m] / (m + 1)).astype(np.float32)
    return np.where(a >= thr[:, None], np.sign(w) * scale[:, None], np.float32(0))


def main(src, dst):
    start = time.perf_counter()
    with open(src, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header_bytes = f.read(n)
        data = f.read()
    header = json.loads(header_bytes)
    out = bytearray(data)
    weights = 0
    for name, t in header.items():
        if name == "__metadata__" or len(t["shape"]) != 2:
            continue
        b, e = t["data_offsets"]
        rows, cols = t["shape"]
        w = decode(data[b:e], t["dtype"]).reshape(rows, cols)
        out[b:e] = encode(tnt_rows(w), t["dtype"])
        weights += rows * cols
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", n))
        f.write(header_bytes)
        f.write(out)
    seconds = time.perf_counter() - start
    print(f"numpy TNT formulation: {weights / 1e6:.1f} M weights in {seconds:.2f} s ({weights / 1e6 / seconds:.1f} M weights/s)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: tnt_numpy.py IN.safetensors OUT.safetensors")
    main(sys.argv[1], sys.argv[2])
