#!/usr/bin/env python3
"""GPTQ in torch beside `fidrun gptq`, on the same layer and activations.

Draws a weight (out x in) with the spectrum of fidrun's synthetic weights and
correlated activations with outlier channels, writes both as safetensors (a
few lines of Python: the format is a length, a JSON header and the bytes),
runs `fidrun gptq --device DEVICE` on them, and runs the same algorithm in
torch: the Hessian as the running mean of 2/n X^T X over the same 128 runs,
then AutoGPTQ's fasterquant (dead columns, damping, cholesky ->
cholesky_inverse -> cholesky upper, 128-column blocks, groups from the
current weights, round half to even). Both are timed (torch with
synchronisation around each phase) and both errors are measured on the
same held-out tokens (the last quarter, at most 512, as fidrun holds out).

Exit status 0 when fidrun is at least --goal times faster and the two
relative output errors are within --error-slack of each other, else 1.
"""
import argparse
import json
import math
import re
import struct
import subprocess
import sys
import tempfile
import time

import torch


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def weight(out, inp, gen, dev, std=0.02, spikes=16, strength=4.0, decay=0.7):
    w = torch.randn(out, inp, generator=gen, device=dev) * std
    s = strength * std * (math.sqrt(out) + math.sqrt(inp))
    for _ in range(spikes):
        u = torch.randn(out, generator=gen, device=dev)
        v = torch.randn(inp, generator=gen, device=dev)
        w += s * torch.outer(u / u.norm(), v / v.norm())
        s *= decay
    return w


def activations(tokens, inp, gen, dev, factors=16, correlation=0.8, outliers=8):
    f = torch.randn(tokens, factors, generator=gen, device=dev)
    mix = torch.randn(factors, inp, generator=gen, device=dev) / math.sqrt(factors)
    x = math.sqrt(correlation) * (f @ mix) + math.sqrt(1 - correlation) * torch.randn(tokens, inp, generator=gen, device=dev)
    idx = torch.randperm(inp, generator=gen, device=dev)[:outliers]
    x[:, idx] *= torch.exp(torch.rand(outliers, generator=gen, device=dev) * math.log(10)) * 10
    return x


def find_params(x, bits):
    maxq = 2 ** bits - 1
    xmin = torch.minimum(x.min(1).values, torch.zeros(1, device=x.device))
    xmax = torch.maximum(x.max(1).values, torch.zeros(1, device=x.device))
    both = (xmin == 0) & (xmax == 0)
    xmin[both], xmax[both] = -1, 1
    scale = (xmax - xmin) / maxq
    zero = torch.round(-xmin / scale)
    return scale.unsqueeze(1), zero.unsqueeze(1)


def quantize(x, scale, zero, maxq):
    q = torch.clamp(torch.round(x / scale) + zero, 0, maxq)
    return scale * (q - zero)


def fasterquant(W, H, bits, groupsize, blocksize=128, percdamp=0.01):
    W = W.clone()
    maxq = 2 ** bits - 1
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    damp = percdamp * torch.mean(torch.diag(H))
    idx = torch.arange(H.shape[0], device=H.device)
    H[idx, idx] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    Hinv = torch.linalg.cholesky(H, upper=True)
    Q = torch.zeros_like(W)
    losses = torch.zeros(W.shape[0], device=W.device)
    scale = zero = None
    for i1 in range(0, W.shape[1], blocksize):
        i2 = min(i1 + blocksize, W.shape[1])
        W1 = W[:, i1:i2].clone()
        Q1, Err1, Hinv1 = torch.zeros_like(W1), torch.zeros_like(W1), Hinv[i1:i2, i1:i2]
        for i in range(i2 - i1):
            w, d = W1[:, i], Hinv1[i, i]
            if (i1 + i) % groupsize == 0:
                scale, zero = find_params(W[:, i1 + i:i1 + i + groupsize], bits)
            q = quantize(w.unsqueeze(1), scale, zero, maxq).flatten()
            Q1[:, i] = q
            losses += (w - q) ** 2 / d ** 2 / 2
            err = (w - q) / d
            W1[:, i:] -= err.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err
        Q[:, i1:i2] = Q1
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    return Q


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fidrun", default="./fidrun")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", type=int, default=4096)
    ap.add_argument("--in", dest="inp", type=int, default=4096)
    ap.add_argument("--tokens", type=int, default=4096)
    ap.add_argument("--bits", type=int, default=4)
    ap.add_argument("--group-size", type=int, default=128)
    ap.add_argument("--goal", type=float, default=2.0)
    ap.add_argument("--error-slack", type=float, default=0.01)
    a = ap.parse_args()
    dev = torch.device(a.device)
    if a.device == "cpu":
        torch.set_num_threads(1)  # beside fidrun's one BLAS thread
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    gen = torch.Generator(device=dev).manual_seed(1234)
    W = weight(a.out, a.inp, gen, dev)
    X = activations(a.tokens, a.inp, gen, dev)
    held = min(512, a.tokens // 4)
    calib, test = X[: a.tokens - held], X[a.tokens - held:]

    with tempfile.TemporaryDirectory() as tmp:
        write_safetensors(f"{tmp}/w.safetensors", {"layer.weight": W})
        write_safetensors(f"{tmp}/x.safetensors", {"x": X})
        cmd = [a.fidrun, "gptq", "--weights", f"{tmp}/w.safetensors", "--tensor", "layer.weight",
               "--calib", f"{tmp}/x.safetensors", "--out", f"{tmp}/q.safetensors", "--device", a.device,
               "--bits", str(a.bits), "--group-size", str(a.group_size)]
        run = subprocess.run(cmd, capture_output=True, text=True)
    print(run.stdout.strip())
    if run.returncode != 0:
        print(run.stderr.strip(), file=sys.stderr)
        return 1
    times = re.search(r"Hessian ([0-9.]+) s · quantization ([0-9.]+) s", run.stdout)
    err = re.search(r"relative output error ([0-9.e+-]+)", run.stdout)
    fid_h, fid_q, fid_err = float(times.group(1)), float(times.group(2)), float(err.group(1))

    sync()
    t0 = time.perf_counter()
    H = torch.zeros(a.inp, a.inp, device=dev)
    runs, n = 128, 0
    for i in range(runs):  # add_batch's running mean, one run at a time as fidrun does
        xr = calib[len(calib) * i // runs: len(calib) * (i + 1) // runs]
        H *= n / (n + 1)
        n += 1
        H += (2 / n) * xr.T @ xr
    sync()
    t1 = time.perf_counter()
    Q = fasterquant(W, H, a.bits, a.group_size)
    sync()
    t2 = time.perf_counter()
    y = test @ W.T
    torch_err = ((y - test @ Q.T).norm() / y.norm()).item()
    where = torch.cuda.get_device_name() if a.device == "cuda" else "the CPU, 1 thread"
    print(f"GPTQ of a {a.out}x{a.inp} layer, {a.bits}-bit, group {a.group_size}, {len(calib)} calibration tokens, "
          f"on {where} (torch {torch.__version__})")
    print(f"  torch:  Hessian {t1 - t0:.3f} s · quantization {t2 - t1:.3f} s · relative output error {torch_err:.4e}")
    print(f"  fidrun: Hessian {fid_h:.3f} s · quantization {fid_q:.3f} s · relative output error {fid_err:.4e}")
    speedup = (t2 - t0) / (fid_h + fid_q)
    ratio = fid_err / torch_err
    ok_speed, ok_err = speedup >= a.goal, abs(ratio - 1) <= a.error_slack
    print(f"  speedup {speedup:.2f}x (goal >= {a.goal:.1f}x) · {'PASSED' if ok_speed else 'FAILED'}")
    print(f"  error ratio fidrun/torch {ratio:.4f} (within {a.error_slack:.0%}) · {'PASSED' if ok_err else 'FAILED'}")
    return 0 if ok_speed and ok_err else 1


if __name__ == "__main__":
    sys.exit(main())
