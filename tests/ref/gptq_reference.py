#!/usr/bin/env python3
"""Cross-check of `fidrun gptq` against an independent NumPy port of the
reference GPTQ (IST-DASLab gptq.py / AutoGPTQ fasterquant and Quantizer, in
float32) and an independent NumPy reader of the HF GPTQ packing.

Writes a weight and activations with the `safetensors` package, runs fidrun,
reads its output with `safetensors` and unpacks qweight/qzeros here (bit
streams, v1 'zero - 1' and v2 zeros). RTN codes must agree exactly; GPTQ codes
on at least 99 % of entries (float32 summation order in the Hessian and the
Cholesky chain differs between BLAS and NumPy); output errors within 2 %.
Prints one line per case and exits non-zero on any disagreement.
usage: gptq_reference.py FIDRUN WORKDIR"""
import json
import subprocess
import sys

import numpy as np
from safetensors.numpy import load_file, save_file


def find_params(x, bits, sym):
    maxq = np.float32(2**bits - 1)
    xmin = np.minimum(x.min(1), np.float32(0))
    xmax = np.maximum(x.max(1), np.float32(0))
    if sym:
        xmax = np.maximum(np.abs(xmin), xmax)
        neg = xmin < 0
        xmin[neg] = -xmax[neg]
    both = (xmin == 0) & (xmax == 0)
    xmin[both] = -1
    xmax[both] = 1
    scale = ((xmax - xmin) / maxq).astype(np.float32)
    if sym:
        zero = np.full_like(scale, (maxq + 1) / 2)
    else:
        zero = np.round(-xmin / scale).astype(np.float32)
    return scale, zero


def quantize(w, scale, zero, bits):
    q = np.clip(np.round(w / scale) + zero, 0, 2**bits - 1).astype(np.float32)
    return q, (scale * (q - zero)).astype(np.float32)


def rtn(w, bits, gs, sym):
    out, cols = w.shape
    gs = cols if gs < 0 else gs
    codes = np.zeros(w.shape, np.int64)
    for g in range(0, cols, gs):
        s, z = find_params(w[:, g:g + gs], bits, sym)
        q, _ = quantize(w[:, g:g + gs], s[:, None], z[:, None], bits)
        codes[:, g:g + gs] = q
    return codes


def hessian(x, ncalib, samples):
    cols = x.shape[1]
    h = np.zeros((cols, cols), np.float32)
    n = 0
    for i in range(samples):
        chunk = x[ncalib * i // samples:ncalib * (i + 1) // samples]
        h *= np.float32(n / (n + 1))
        n += 1
        inp = (np.float32(np.sqrt(2 / n)) * chunk).T
        h += inp @ inp.T
    return h


def gptq(w, h, bits, gs, sym, act_order, percdamp=0.01, blocksize=128):
    """fasterquant, step by step (static_groups off)."""
    w = w.copy()
    rows, cols = w.shape
    scale, zero = find_params(w, bits, sym)
    dead = np.diag(h) == 0
    h[dead, dead] = 1
    w[:, dead] = 0
    perm = np.arange(cols)
    if act_order:
        perm = np.argsort(-np.diag(h), kind="stable")
        w = w[:, perm]
        h = h[perm][:, perm]
    codes = np.zeros(w.shape, np.int64)
    damp = percdamp * np.mean(np.diag(h))
    h[np.arange(cols), np.arange(cols)] += damp
    hinv = np.linalg.cholesky(np.linalg.inv(h.astype(np.float64))).T.astype(np.float32)
    for i1 in range(0, cols, blocksize):
        i2 = min(i1 + blocksize, cols)
        w1 = w[:, i1:i2].copy()
        err1 = np.zeros_like(w1)
        hinv1 = hinv[i1:i2, i1:i2]
        for i in range(i2 - i1):
            col = w1[:, i]
            d = hinv1[i, i]
            if gs > 0 and (i1 + i) % gs == 0:
                scale, zero = find_params(w[:, i1 + i:i1 + i + gs], bits, sym)
            q, qv = quantize(col, scale, zero, bits)
            codes[:, i1 + i] = q
            e = (col - qv) / d
            w1[:, i:] -= np.outer(e, hinv1[i, i:])
            err1[:, i] = e
        w[:, i2:] -= err1 @ hinv[i1:i2, i2:]
    out = np.zeros_like(codes)
    out[:, perm] = codes
    return out


def unpack_stream(words, bits, count):
    """Element j of each column at bits [b j, b j + b) of the column's words."""
    words = words.astype(np.uint32).astype(np.uint64)
    vals = np.zeros((count, words.shape[1]), np.int64)
    for j in range(count):
        bit = bits * j
        w, off = bit // 32, bit % 32
        v = words[w] >> np.uint64(off)
        if off + bits > 32:
            v |= words[w + 1] << np.uint64(32 - off)
        vals[j] = (v & np.uint64(2**bits - 1)).astype(np.int64)
    return vals


def read_layer(path, prefix):
    t = load_file(path)
    qweight, qzeros = t[prefix + ".qweight"], t[prefix + ".qzeros"]
    scales, g_idx = t[prefix + ".scales"], t[prefix + ".g_idx"]
    cols = g_idx.shape[0]
    bits = qweight.shape[0] * 32 // cols
    codes = unpack_stream(qweight, bits, cols).T  # out x in
    zeros = unpack_stream(qzeros.T, bits, scales.shape[1])  # out x groups
    assert scales.dtype == np.float16 and g_idx.dtype == np.int32 and qweight.dtype == np.int32
    return codes, zeros.T, scales, g_idx, bits


def main():
    fidrun, work = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(5)
    out, cols, tokens = 96, 256, 1024
    w = (rng.standard_normal((out, cols)) * 0.02).astype(np.float32)
    w[:, 7] *= 8  # an outlier input channel
    common = rng.standard_normal((tokens, 1))
    x = (0.8 * common + 0.6 * rng.standard_normal((tokens, cols))).astype(np.float32)
    x[:, 3] *= 30
    save_file({"layer.weight": w}, f"{work}/w.safetensors")
    save_file({"acts": x}, f"{work}/x.safetensors")
    held = min(512, tokens // 4)
    ncalib = tokens - held
    failures = 0
    cases = [("rtn", b, g, s, False, "gptq_v2") for b in (2, 3, 4, 8) for g in (-1, 64) for s in (False, True)]
    cases += [("gptq", 4, 64, False, a, f) for a in (False, True) for f in ("gptq", "gptq_v2")]
    cases += [("gptq", 3, -1, True, False, "gptq_v2"), ("gptq", 8, 128, False, True, "gptq")]
    for method, bits, gs, sym, act, fmt in cases:
        qpath = f"{work}/q.safetensors"
        cmd = [fidrun, "gptq", "--weights", f"{work}/w.safetensors", "--tensor", "layer.weight", "--out", qpath,
               "--calib", f"{work}/x.safetensors", "--method", method, "--bits", str(bits), "--group-size", str(gs),
               "--format", fmt] + (["--sym"] if sym else []) + (["--act-order"] if act else [])
        run = subprocess.run(cmd, capture_output=True, text=True)
        name = f"{method} {bits}-bit g{gs}{' sym' if sym else ''}{' act' if act else ''} {fmt}"
        if run.returncode != 0:
            print(f"FAILED   {name}: fidrun exit {run.returncode}: {run.stderr.strip()}")
            failures += 1
            continue
        codes, zeros, scales, g_idx, read_bits = read_layer(qpath, "layer")
        meta = json.loads(open(f"{work}/quantize_config.json").read())
        if fmt == "gptq":
            zeros = zeros + 1  # v1 stores zero - 1
        if method == "rtn":
            ref = rtn(w, bits, gs, sym)
        else:
            h = hessian(x, ncalib, min(ncalib, 128))
            ref = gptq(w, h, bits, gs, sym, act)
        agree = float(np.mean(codes == ref))
        deq = scales[g_idx].T.astype(np.float64) * (codes - zeros[g_idx].T)
        yh = x[ncalib:].astype(np.float64)
        err = np.linalg.norm(yh @ w.T - yh @ deq.T) / np.linalg.norm(yh @ w.T)
        ok = read_bits == bits and meta["bits"] == bits and meta["checkpoint_format"] == fmt
        ok &= agree == 1.0 if method == "rtn" else agree >= 0.99
        reported = float(run.stdout.split("relative output error ")[1].split()[0])
        ok &= abs(reported - err) <= 0.02 * err
        if sym:
            ok &= bool(np.all(zeros == 2 ** (bits - 1)))
        print(f"{'ok      ' if ok else 'FAILED  '} {name}: codes equal to the NumPy reference on "
              f"{100 * agree:.3f} %, output error {err:.4e} (fidrun printed {reported:.4e})")
        failures += not ok
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
