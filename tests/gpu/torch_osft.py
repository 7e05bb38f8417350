#!/usr/bin/env python3
"""torch.linalg.svd on the shapes and spectra of a fidrun OSFT run, side by side.

Reads fidrun's per-matrix table as CSV (build/tests/h5records csv RUN.h5 osft),
draws weights of the same shapes from the same spectrum law as fidrun's
synthetic weights (Gaussian bulk of std `std` plus `spikes` rank-one spikes of
strength `strength` * std * (sqrt(m) + sqrt(n)) decaying by `decay`; fidrun
draws with Philox, torch with its own generator, so the draws differ but the
spectra do not), and times torch.linalg.svd(full_matrices=False) on the GPU
with CUDA events, one call per matrix after a warm-up, as fidrun times its
cuSOLVER call. Then the same LAPACK ratios fidrun reports (residual of the
split reconstruction, orthogonality of U and V), and the speedup.

Exit status 0 when fidrun's SVD time is at least --goal times faster and its
worst ratios are no worse than torch's, else 1. "No worse" allows --slack
(default 1.1): the two runs draw different matrices from one spectrum law,
and the worst of 196 ratios moves by a few percent between draws.
"""
import argparse
import csv
import math
import sys
import time

import torch


def weight(m, n, std, spikes, strength, decay, gen, dev):
    w = torch.randn(m, n, generator=gen, device=dev, dtype=torch.float64) * std
    s = strength * std * (math.sqrt(m) + math.sqrt(n))
    for _ in range(spikes):
        u = torch.randn(m, generator=gen, device=dev, dtype=torch.float64)
        v = torch.randn(n, generator=gen, device=dev, dtype=torch.float64)
        w += s * torch.outer(u / u.norm(), v / v.norm())
        s *= decay
    return w


def norm1(a):
    return a.abs().sum(dim=0).max().item()


def ratios(w, u, s, vh, ks, eps, atol, rtol):
    """LAPACK's xBDT01 residual and xORT01 orthogonality ratios, in float64,
    and whether W' = U S V^T is within fidrun's atol + rtol |W| everywhere
    (W' rebuilt in float32, split at ks, as fidrun rebuilds it)."""
    m, n = w.shape
    w64, u64, s64, vh64 = w.double(), u.double(), s.double(), vh.double()
    us = u64 * s64
    rebuilt = us[:, :ks] @ vh64[:ks] + us[:, ks:] @ vh64[ks:]
    resid = norm1(w64 - rebuilt) / (norm1(w64) * max(m, n) * eps)
    us32 = u * s
    rebuilt32 = us32[:, :ks] @ vh[:ks] + us32[:, ks:] @ vh[ks:]
    within = bool(((w - rebuilt32).abs() <= atol + rtol * w.abs()).all())
    k = s.shape[0]
    eye = torch.eye(k, dtype=torch.float64, device=w.device)
    orth_u = norm1(eye - u64.T @ u64) / (m * eps)
    orth_v = norm1(eye - vh64 @ vh64.T) / (n * eps)
    return (resid, orth_u, orth_v), within


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("matrices_csv")
    ap.add_argument("--std", type=float, default=0.02)
    ap.add_argument("--spikes", type=int, default=16)
    ap.add_argument("--strength", type=float, default=4.0)
    ap.add_argument("--decay", type=float, default=0.7)
    ap.add_argument("--goal", type=float, default=2.0, help="required speedup of fidrun over torch")
    ap.add_argument("--slack", type=float, default=1.1, help="fidrun's worst ratios may be this times torch's")
    ap.add_argument("--atol", type=float, default=1e-5, help="fidrun's tolerance (osft.yaml's)")
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--device", default="cuda", help="cuda, or cpu to compare a CPU run (one torch thread)")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        print("torch_osft: torch sees no GPU", file=sys.stderr)
        return 2
    if a.device == "cpu":
        torch.set_num_threads(1)  # as fidrun's ranks run one BLAS thread each
    rows = list(csv.DictReader(open(a.matrices_csv)))
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    gen = torch.Generator(device=dev).manual_seed(1234)
    eps = 2.0 ** -23  # LAPACK's xLAMCH('P') for float32, as fidrun uses
    by_shape = {}
    w0 = weight(int(rows[0]["rows"]), int(rows[0]["cols"]), a.std, a.spikes, a.strength, a.decay, gen, dev).float()
    torch.linalg.svd(w0, full_matrices=False)  # warm-up: cuSOLVER handles, workspaces
    sync()
    t_torch = t_fid = 0.0
    worst_torch = [0.0, 0.0, 0.0]
    worst_fid = [0.0, 0.0, 0.0]
    torch_within = fid_within = 0
    for r in rows:
        m, n, ks = int(r["rows"]), int(r["cols"]), int(r["k_split"])
        w = weight(m, n, a.std, a.spikes, a.strength, a.decay, gen, dev).float()
        sync()
        if a.device == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            u, s, vh = torch.linalg.svd(w, full_matrices=False)
            end.record()
            sync()
            secs = start.elapsed_time(end) / 1e3
        else:
            t0 = time.perf_counter()
            u, s, vh = torch.linalg.svd(w, full_matrices=False)
            secs = time.perf_counter() - t0
        rt, within = ratios(w, u, s, vh, ks, eps, a.atol, a.rtol)
        torch_within += within
        fid_within += r["pass"] == "1"
        rf = (float(r["resid_ratio"]), float(r["orth_u_ratio"]), float(r["orth_v_ratio"]))
        worst_torch = [max(x, y) for x, y in zip(worst_torch, rt)]
        worst_fid = [max(x, y) for x, y in zip(worst_fid, rf)]
        t_torch += secs
        t_fid += float(r["svd_seconds"])
        e = by_shape.setdefault((m, n), [0, 0.0, 0.0, r["svd_driver"].strip('"')])
        e[0] += 1
        e[1] += secs
        e[2] += float(r["svd_seconds"])
    where = torch.cuda.get_device_name() if a.device == "cuda" else "the CPU, 1 thread"
    clock = "CUDA events" if a.device == "cuda" else "wall clock"
    print(f"torch {torch.__version__} on {where} against fidrun, {len(rows)} matrices, float32, "
          f"SVD call times ({clock})")
    print(f"  {'shape':>11} {'n':>4} {'torch s':>9} {'fidrun s':>9} {'speedup':>8}  fidrun driver")
    for (m, n), (cnt, ts, fs, drv) in sorted(by_shape.items()):
        print(f"  {m:>5}x{n:<5} {cnt:>4} {ts:>9.3f} {fs:>9.3f} {ts / fs if fs > 0 else float('inf'):>7.2f}x  {drv}")
    speedup = t_torch / t_fid if t_fid > 0 else float("inf")
    print(f"  total: torch.linalg.svd {t_torch:.3f} s · fidrun {t_fid:.3f} s · speedup {speedup:.2f}x "
          f"(goal >= {a.goal:.1f}x) · {'PASSED' if speedup >= a.goal else 'FAILED'}")
    names = ("residual", "orthogonality U", "orthogonality V")
    no_worse = True
    for name, ft, tt in zip(names, worst_fid, worst_torch):
        ok = ft <= a.slack * tt
        no_worse &= ok
        print(f"  worst {name} ratio: fidrun {ft:.3f} · torch {tt:.3f} · {'no worse' if ok else 'WORSE'}")
    print(f"  within atol {a.atol:g} + rtol {a.rtol:g} |W| everywhere: fidrun {fid_within} of {len(rows)} matrices · "
          f"torch {torch_within} of {len(rows)}")
    return 0 if speedup >= a.goal and no_worse else 1


if __name__ == "__main__":
    sys.exit(main())
