#!/usr/bin/env python3
"""A campaign of hostile inputs into every entry point of fidrun.

usage: campaign.py FIDRUN H5RECORDS WORKDIR [--size small|large] [--seed N]

Families (each a test of the totals; docs/reliability.md has the figures):
  configs      mutated YAML configs through `fidrun validate`, and some
               through `mpirun -np 2 fidrun`
  checkpoints  crafted safetensors files, sharded folders, config.json and
               GPTQ folders (symlinks out of the folder, FIFOs, /dev/zero,
               huge header claims, overlapping offsets, 64-bit overflowing
               shapes, ...) through the OSFT suite, detect-size, gptq and
               gptq-check
  results      truncated, bit-flipped and wrong-schema HDF5 files through
               `fidrun report` (every format) and `fidrun compare`
  costs        costs/lengths files (empty, one item, millions of lines, NaN,
               negative, 1e308, quoted CSV, CRLF, ...) through balance and pack
  outputs      output folders that are symlinks, read-only, full, or shared
               by two runs at once; results files already there are never
               changed (checksums before and after)
  kills        SIGKILL to a random rank at a random moment of a -np 4 run,
               each resumed; the resumed figures equal -np 1's bit for bit,
               and no process is left behind

Every case runs under a timeout. A case is a crash (a signal, a sanitizer
report), a hang (the timeout), a wrong exit code (outside the documented
set for it), a message without a location (exit 2 or 3 without naming the
file, line, key, rank or host concerned) or a loss (a results file changed,
a resumed run that differs). Prints the counts; fails on any. Standard
library, numpy and h5py (the test Python).
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time

import numpy as np

SANITIZER = ("AddressSanitizer", "UndefinedBehaviorSanitizer", "runtime error:", "LeakSanitizer")
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "true", "OPENBLAS_NUM_THREADS": "1"}


class Tally:
    KINDS = ("crashes", "hangs", "wrong exit codes", "messages without a location", "losses")

    def __init__(self):
        self.cases = 0
        self.problems = {k: [] for k in self.KINDS}

    def bad(self, kind, what):
        self.problems[kind].append(what)

    def failed(self):
        return sum(len(v) for v in self.problems.values())


def run(cmd, timeout, env=None, cwd=None):
    """(rc, stdout+stderr, hung): the whole process group is killed on a timeout."""
    e = dict(os.environ)
    e.update(MPI_ENV)
    e["FIDRUN_GNUPLOT"] = ""  # the HTML report without plots: faster, and gnuplot is not under test
    if env:
        e.update(env)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e, cwd=cwd,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out.decode("utf-8", "replace"), False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return None, out.decode("utf-8", "replace"), True


def judge(t, name, rc, out, hung, allowed, where):
    """One case: its exit code against allowed; for 2 and 3, one of where in the message."""
    t.cases += 1
    if hung:
        t.bad("hangs", name)
        return
    if rc is None or rc < 0 or rc in (134, 136, 137, 139) or any(s in out for s in SANITIZER):
        t.bad("crashes", f"{name}: exit {rc}: {out.strip()[-300:]}")
        return
    if rc not in allowed:
        t.bad("wrong exit codes", f"{name}: exit {rc}, expected one of {sorted(allowed)}: {out.strip()[-300:]}")
        return
    if rc in (2, 3) and not any(w and w in out for w in where):
        t.bad("messages without a location", f"{name}: exit {rc}: {out.strip()[-300:]}")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---- configs ----------------------------------------------------------------

EXTREMES = ["-1", "0", "1e308", "-1e308", ".nan", ".inf", "x", "99999999999999999999999", '""', "~", "[1, 2]",
            "{a: 1}", "'" + "a" * 5000 + "'", "true", "-0", "0x10", "1_000", "&a [*a]", "!!binary AAAA"]


def mutate(text, rng):
    lines = text.split("\n")
    op = rng.randrange(9)
    i = rng.randrange(len(lines))
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[i])
    elif op == 2 and ":" in lines[i]:
        k, _, _ = lines[i].partition(":")
        lines[i] = k + ": " + rng.choice(EXTREMES)
    elif op == 3:
        lines[i] = " " * rng.randrange(8) + lines[i].lstrip()
    elif op == 4:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 5:
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)] + "".join(
            chr(rng.choice([0x7B, 0x5B, 0x3A, 0x22, 0x27, 0x26, 0x2A, 0x09, 0xE9, 0x7F])) for _ in range(3))
    elif op == 6:
        return text[: rng.randrange(len(text) + 1)]
    elif op == 7 and ":" in lines[i]:
        k, sep, v = lines[i].partition(":")
        s = k.strip()
        if s:
            c = rng.randrange(len(s))
            lines[i] = k.replace(s, s[:c] + s[c + 1:] + rng.choice("xq_"), 1) + sep + v
    else:
        lines.insert(i, " " * (len(lines[i]) - len(lines[i].lstrip())) + "unknown_key_%d: 1" % rng.randrange(99))
    return "\n".join(lines)


def configs(t, a, rng, n_validate, n_run):
    bases = {}
    for f in sorted(os.listdir("configs")):
        if f.endswith(".yaml"):
            with open(os.path.join("configs", f)) as h:
                bases[f] = h.read()
    d = os.path.join(a.work, "configs")
    os.makedirs(d, exist_ok=True)
    names = sorted(bases)
    for k in range(n_validate + n_run):
        base = rng.choice(names if k < n_validate else ["smoke.yaml", "balance-smoke.yaml", "quant-smoke.yaml"])
        text = bases[base]
        for _ in range(1 + rng.randrange(3)):
            text = mutate(text, rng)
        path = os.path.join(d, f"mut-{k}.yaml")
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as h:
            h.write(text)
        if k < n_validate:
            rc, out, hung = run([a.fidrun, "validate", path], 30)
            judge(t, f"validate {path} (from {base})", rc, out, hung, {0, 2}, [path, "--set"])
        else:
            out_dir = os.path.join(d, f"out-{k}")
            rc, out, hung = run(["mpirun", "-np", "2", a.fidrun, path, "-q", "--out", out_dir, "--only",
                                 "*layers.0.self_attn.k_proj*"], 120)
            judge(t, f"mpirun -np 2 {path} (from {base})", rc, out, hung, {0, 1, 2, 3}, [path, "rank ", out_dir])


# ---- checkpoints --------------------------------------------------------------

def st_bytes(tensors, header_extra=None, raw_header=None, hlen=None):
    """A safetensors file: tensors = [(name, dtype, shape, data bytes)], offsets as laid out."""
    header, data, off = {}, b"", 0
    for name, dtype, shape, blob in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(blob)]}
        data += blob
        off += len(blob)
    if header_extra:
        for k, v in header_extra.items():
            header[k] = v
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(h) if hlen is None else hlen) + h + data


def good_weights(rng, dtype=np.float32):
    names = [f"model.layers.{l}.{m}.weight" for l in range(2)
             for m in ("self_attn.q_proj", "self_attn.k_proj", "mlp.up_proj", "mlp.down_proj")]
    shape = {"self_attn.q_proj": (64, 64), "self_attn.k_proj": (32, 64), "mlp.up_proj": (128, 64),
             "mlp.down_proj": (64, 128)}
    out = []
    for n in names:
        s = shape[".".join(n.split(".")[3:5])]
        w = (rng.standard_normal(s) * 0.02).astype(dtype)
        out.append((n, "F32" if dtype == np.float32 else "F16", list(s), w.tobytes()))
    return out


CONFIG = {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
          "num_key_value_heads": 2, "num_hidden_layers": 2, "head_dim": 16}


def write(path, blob):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(blob if isinstance(blob, bytes) else blob.encode())


def checkpoint_cases(root, nprng):
    """(name, folder) pairs: every folder a model folder someone could hand to fidrun."""
    cases = []

    def folder(name):
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        cases.append((name, d))
        return d

    w = good_weights(nprng)
    d = folder("good")
    write(d + "/model.safetensors", st_bytes(w))
    write(d + "/config.json", json.dumps(CONFIG))
    d = folder("good-no-config")
    write(d + "/model.safetensors", st_bytes(w))
    big = 1 << 62
    headers = {
        "hlen-huge": dict(hlen=big), "hlen-past-end": dict(hlen=10 ** 6), "hlen-zero": dict(hlen=0),
        "header-not-json": dict(raw_header=b"{not json"), "header-array": dict(raw_header=b"[1,2,3]"),
        "header-nul": dict(raw_header=b'{"a\x00b": 1}'), "header-deep": dict(raw_header=b"[" * 5000 + b"]" * 5000),
    }
    for name, kw in headers.items():
        d = folder(name)
        write(d + "/model.safetensors", st_bytes(w, **kw))
    n0 = w[0][0]
    bad_tensors = {
        "offsets-past-end": {n0: {"dtype": "F32", "shape": [64, 64], "data_offsets": [0, 10 ** 9]}},
        "offsets-reversed": {n0: {"dtype": "F32", "shape": [64, 64], "data_offsets": [16384, 0]}},
        "offsets-overlap": {n0: {"dtype": "F32", "shape": [32, 64], "data_offsets": [0, 8192]},
                            w[1][0]: {"dtype": "F32", "shape": [32, 64], "data_offsets": [4096, 12288]}},
        "shape-overflow": {n0: {"dtype": "F32", "shape": [2 ** 40, 2 ** 40], "data_offsets": [0, 16384]}},
        "shape-overflow-64": {n0: {"dtype": "F32", "shape": [2 ** 62, 8], "data_offsets": [0, 16384]}},
        "shape-negative": {n0: {"dtype": "F32", "shape": [-64, 64], "data_offsets": [0, 16384]}},
        "shape-string": {n0: {"dtype": "F32", "shape": "64x64", "data_offsets": [0, 16384]}},
        "shape-size-mismatch": {n0: {"dtype": "F32", "shape": [64, 65], "data_offsets": [0, 16384]}},
        "shape-9-dims": {n0: {"dtype": "F32", "shape": [1] * 9, "data_offsets": [0, 4]}},
        "dtype-unknown": {n0: {"dtype": "F99", "shape": [64, 64], "data_offsets": [0, 16384]}},
        "dtype-int": {n0: {"dtype": "I32", "shape": [64, 64], "data_offsets": [0, 16384]}},
        "offsets-float": {n0: {"dtype": "F32", "shape": [64, 64], "data_offsets": [0.5, 16384]}},
        "metadata-object": {"__metadata__": {"a": {"b": 1}}},
        "tensor-not-object": {n0: 5},
    }
    for name, extra in bad_tensors.items():
        d = folder(name)
        raw = json.dumps(extra).encode()
        write(d + "/model.safetensors", struct.pack("<Q", len(raw)) + raw + w[0][3] + w[1][3])
    d = folder("duplicate-names")
    raw = b'{"%s": {"dtype": "F32", "shape": [64, 64], "data_offsets": [0, 16384]}, ' % n0.encode() + \
          b'"%s": {"dtype": "F32", "shape": [64, 64], "data_offsets": [0, 16384]}}' % n0.encode()
    write(d + "/model.safetensors", struct.pack("<Q", len(raw)) + raw + w[0][3])
    for name, blob in {"empty-file": b"", "seven-bytes": b"\x01" * 7, "truncated": st_bytes(w)[:5000],
                       "text-file": b"hello, this is not a model\n"}.items():
        d = folder(name)
        write(d + "/model.safetensors", blob)
    nan = [(n, dt, s, b) for n, dt, s, b in w]
    arr = np.frombuffer(nan[2][3], np.float32).copy()
    arr[5] = np.nan
    arr[9] = np.inf
    nan[2] = (nan[2][0], "F32", nan[2][2], arr.tobytes())
    d = folder("nan-weights")
    write(d + "/model.safetensors", st_bytes(nan))
    d = folder("fp16")
    write(d + "/model.safetensors", st_bytes(good_weights(nprng, np.float16)))
    # sharded folders and their index
    shard = st_bytes(w)
    for name, index in {
        "index-good": {"weight_map": {n: "model-00001-of-00001.safetensors" for n, *_ in w}},
        "index-missing-shard": {"weight_map": {n: "model-00002-of-00002.safetensors" for n, *_ in w}},
        "index-dotdot": {"weight_map": {n: "../outside/model.safetensors" for n, *_ in w}},
        "index-absolute": {"weight_map": {n: "/etc/passwd" for n, *_ in w}},
        "index-not-object": {"weight_map": ["a"]},
        "index-number": {"weight_map": {w[0][0]: 5}},
        "index-wrong-tensor": {"weight_map": {"model.layers.9.mlp.up_proj.weight": "model-00001-of-00001.safetensors"}},
    }.items():
        d = folder(name)
        write(d + "/model.safetensors.index.json", json.dumps(index))
        write(d + "/model-00001-of-00001.safetensors", shard)
    d = folder("index-not-json")
    write(d + "/model.safetensors.index.json", "{weight_map: ")
    write(d + "/model-00001-of-00001.safetensors", shard)
    # links and special files
    outside = os.path.join(root, "_outside")
    write(outside + "/model.safetensors", shard)
    write(outside + "/config.json", json.dumps(CONFIG))
    d = folder("shard-link-outside")
    write(d + "/model.safetensors.index.json",
          json.dumps({"weight_map": {n: "model-00001-of-00001.safetensors" for n, *_ in w}}))
    os.symlink("../_outside/model.safetensors", d + "/model-00001-of-00001.safetensors")
    d = folder("single-link-outside")
    os.symlink(os.path.abspath(outside + "/model.safetensors"), d + "/model.safetensors")
    d = folder("config-link-outside")
    write(d + "/model.safetensors", shard)
    os.symlink("../_outside/config.json", d + "/config.json")
    d = folder("link-inside")  # a link that stays inside the folder is fine
    write(d + "/weights.bin", shard)
    os.symlink("weights.bin", d + "/model.safetensors")
    d = folder("dev-zero")
    os.symlink("/dev/zero", d + "/model.safetensors")
    d = folder("fifo")
    os.mkfifo(d + "/model.safetensors")
    d = folder("fifo-config")
    write(d + "/model.safetensors", shard)
    os.mkfifo(d + "/config.json")
    d = folder("dir-as-file")
    os.makedirs(d + "/model.safetensors")
    d = folder("dangling-link")
    os.symlink("nowhere.safetensors", d + "/model.safetensors")
    d = folder("link-loop")
    os.symlink("model.safetensors", d + "/model.safetensors")
    # config.json variants
    for name, text in {"config-garbage": "{{{", "config-array": "[]", "config-huge": json.dumps(
            dict(CONFIG, hidden_size=10 ** 30)), "config-negative": json.dumps(dict(CONFIG, hidden_size=-64)),
                       "config-string": json.dumps(dict(CONFIG, hidden_size="64")),
                       "config-contradicts": json.dumps(dict(CONFIG, intermediate_size=96)),
                       "config-zero-heads": json.dumps(dict(CONFIG, num_attention_heads=0))}.items():
        d = folder(name)
        write(d + "/model.safetensors", shard)
        write(d + "/config.json", text)
    return cases


def gptq_cases(root, nprng):
    """GPTQ folders: one written by the independent writer, then broken one way each."""
    cases = []
    base = os.path.join(root, "gptq-base")
    rc = subprocess.run([sys.executable, "tests/tools/make_gptq_checkpoint.py", base, "v2", "gptq_v2"],
                        capture_output=True)
    if rc.returncode:
        return cases
    q = os.path.join(base, "q")
    cases.append(("gptq-good", q))
    import safetensors.numpy as stn
    t = stn.load_file(os.path.join(q, "model.safetensors"))
    breaks = {
        "gptq-qweight-float": lambda t: t.__setitem__(next(k for k in t if k.endswith(".qweight")),
                                                       t[next(k for k in t if k.endswith(".qweight"))].astype(np.float32)),
        "gptq-scales-shape": lambda t: t.__setitem__(next(k for k in t if k.endswith(".scales")),
                                                      t[next(k for k in t if k.endswith(".scales"))][:, :1].copy()),
        "gptq-gidx-range": lambda t: t.__setitem__(next(k for k in t if k.endswith(".g_idx")),
                                                    np.full_like(t[next(k for k in t if k.endswith(".g_idx"))], 10 ** 6)),
        "gptq-no-qzeros": lambda t: t.pop(next(k for k in t if k.endswith(".qzeros"))),
    }
    for name, brk in breaks.items():
        d = os.path.join(root, name)
        shutil.copytree(q, d)
        tt = dict(t)
        brk(tt)
        stn.save_file(tt, os.path.join(d, "model.safetensors"))
        cases.append((name, d))
    for name, qc in {"gptq-bits-5": {"bits": 5}, "gptq-format-garbage": {"checkpoint_format": "gptq_v9"},
                     "gptq-group-zero": {"group_size": 0}}.items():
        d = os.path.join(root, name)
        shutil.copytree(q, d)
        with open(os.path.join(d, "config.json")) as f:
            c = json.load(f)
        c["quantization_config"].update(qc)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(c, f)
        cases.append((name, d))
    return cases


def checkpoints(t, a, rng, run_every):
    root = os.path.join(a.work, "ckpt")
    nprng = np.random.default_rng(a.seed)
    cases = checkpoint_cases(root, nprng)
    for k, (name, d) in enumerate(cases):
        cfg = os.path.join(root, f"{name}.yaml")
        write(cfg, "name: ck\nsuites:\n  osft:\n    source: checkpoint\n    path: %s\n" % d)
        where = [d, cfg]
        rc, out, hung = run([a.fidrun, "validate", cfg], 30)
        judge(t, f"validate, checkpoint {name}", rc, out, hung, {0, 2}, where)
        if k % run_every == 0:
            rc, out, hung = run(["mpirun", "-np", "2", a.fidrun, cfg, "-q", "--out", os.path.join(root, "out-" + name)],
                                120)
            judge(t, f"mpirun -np 2, checkpoint {name}", rc, out, hung, {0, 1, 2}, where + ["rank "])
        rc, out, hung = run([a.fidrun, "detect-size", d], 30)
        judge(t, f"detect-size {name}", rc, out, hung, {0, 1, 2}, where)
        st = os.path.join(d, "model.safetensors")
        rc, out, hung = run([a.fidrun, "gptq", "--weights", st, "--tensor", "model.layers.0.mlp.up_proj.weight",
                             "--group-size", "32", "--tokens", "64", "--out", os.path.join(root, name + "-q.safetensors")],
                            60)
        judge(t, f"gptq --weights {name}", rc, out, hung, {0, 2}, where + [st])
    for name, d in gptq_cases(root, nprng):
        rc, out, hung = run([a.fidrun, "gptq-check", d, "--original", os.path.join(root, "gptq-base", "orig")], 60)
        judge(t, f"gptq-check {name}", rc, out, hung, {0, 1, 2}, [d])
    for name, d in cases[:12]:
        rc, out, hung = run([a.fidrun, "gptq-check", d], 60)
        judge(t, f"gptq-check on {name} (not a GPTQ folder)", rc, out, hung, {0, 1, 2}, [d])


# ---- results files ------------------------------------------------------------

def results(t, a, rng, n_flips):
    d = os.path.join(a.work, "results")
    os.makedirs(d, exist_ok=True)
    bases = []
    for cfg, extra in (("configs/smoke.yaml", ["--only", "model.layers.0.*"]),
                       ("configs/balance-smoke.yaml", []), ("configs/quant-smoke.yaml", [])):
        out = os.path.join(d, "base-" + os.path.basename(cfg)[:-5])
        rc, log, _ = run([a.fidrun, cfg, "-q", "--out", out] + extra, 300)
        files = [os.path.join(out, f) for f in os.listdir(out) if f.endswith(".h5")] if os.path.isdir(out) else []
        if rc != 0 or not files:
            t.bad("wrong exit codes", f"making the base results file from {cfg}: exit {rc}: {log[-300:]}")
            return
        bases.append(files[0])
    variants = []
    for b in bases:
        blob = open(b, "rb").read()
        stem = os.path.basename(b)[:-3]
        for frac in (0.0, 0.01, 0.1, 0.3, 0.5, 0.9, 0.999):
            p = os.path.join(d, f"{stem}-cut{frac}.h5")
            write(p, blob[: int(len(blob) * frac)])
            variants.append(p)
        for k in range(n_flips):
            bb = bytearray(blob)
            for _ in range(1 + rng.randrange(8)):
                i = rng.randrange(len(bb))
                bb[i] ^= 1 << rng.randrange(8)
            p = os.path.join(d, f"{stem}-flip{k}.h5")
            write(p, bytes(bb))
            variants.append(p)
    import h5py
    schema = {
        "wrong-dtype": lambda f: f.create_dataset("osft/matrices", data=np.arange(10.0)),
        "wrong-fields": lambda f: f.create_dataset("osft/matrices", data=np.zeros(3, dtype=[("x", "f8"), ("name", "S4")])),
        "checks-strings": lambda f: f.create_dataset("checks", data=np.array([b"a", b"b"])),
        "empty-hdf5": lambda f: None,
        "attrs-only": lambda f: f.attrs.__setitem__("fidrun_version", "0.1.0"),
        "group-as-table": lambda f: f.create_group("checks"),
    }
    for name, make in schema.items():
        p = os.path.join(d, name + ".h5")
        with h5py.File(p, "w") as f:
            make(f)
        variants.append(p)
    p = os.path.join(d, "not-hdf5.h5")
    write(p, "name: x\n")
    variants.append(p)
    for v in variants:
        for fmt in ("text", "json", "csv", "junit", "html"):
            o = v + "." + fmt + ".out"
            rc, out, hung = run([a.fidrun, "report", v, "--format", fmt, "-o", o], 60)
            judge(t, f"report --format {fmt} {os.path.basename(v)}", rc, out, hung, {0, 2}, [v])
        rc, out, hung = run([a.fidrun, "compare", bases[0], v], 60)
        judge(t, f"compare base {os.path.basename(v)}", rc, out, hung, {0, 1, 2, 3}, [v])
        rc, out, hung = run([a.fidrun, "compare", v, bases[-1], "--format", "junit", "-o", v + ".junit"], 60)
        judge(t, f"compare {os.path.basename(v)} base", rc, out, hung, {0, 1, 2, 3}, [v])


# ---- costs and lengths ----------------------------------------------------------

def costs(t, a, rng, big_lines):
    d = os.path.join(a.work, "costs")
    os.makedirs(d, exist_ok=True)
    files = {
        "empty": "", "blank-lines": "\n\n  \n", "one-item": "5\n", "nan": "1\nnan\n3\n", "inf": "1\ninf\n",
        "negative": "1\n-2\n3\n", "huge": "1e308\n2\n", "huge-sum": "1e149\n" * 20, "forty-digits": "1" * 40 + "\n2\n",
        "million-ones": "1" * 1000000 + "\n2\n", "crlf": "id,tokens\r\na,5\r\nb,7\r\n", "quoted": '"doc, part 1",120\n"b",7\n',
        "header-only": "tokens\n", "binary": "\x00\x01\x02\xff\n", "fraction": "1.5\n2\n", "hex": "0x10\n",
        "spaces": "  12  \n 7\n", "comment": "# costs\n3\n4\n", "no-newline-at-end": "3\n4",
        "empty-last-field": "a,\nb,\n", "semicolons": "1;2;3\n", "exponent-only": "e5\n", "plus": "+5\n",
    }
    lines = os.path.join(d, "many-lines")
    with open(lines, "w") as f:
        for i in range(big_lines):
            f.write(f"{(i * 7919) % 100000 + 1}\n")
    paths = {lines: "many-lines"}
    for name, text in files.items():
        p = os.path.join(d, name)
        write(p, text)
        paths[p] = name
    for p, name in paths.items():
        rc, out, hung = run([a.fidrun, "balance", "--ranks", "4,64", "--costs", p, "--repeats", "1"], 120)
        judge(t, f"balance --costs {name}", rc, out, hung, {0, 2}, [p])
        if rc == 0 and ("inf" in out.split() or "nan" in out.split()):
            t.bad("wrong exit codes", f"balance --costs {name}: a figure printed as inf or nan")
        rc, out, hung = run([a.fidrun, "pack", "--budget", "130000", "--ranks", "4", "--algo", "ffd", "--lengths", p,
                             "--repeats", "1"], 120)
        judge(t, f"pack --lengths {name}", rc, out, hung, {0, 2}, [p])
        for col in ("2", "tokens"):
            rc, out, hung = run([a.fidrun, "balance", "--ranks", "4", "--costs", p, "--column", col, "--repeats", "1"],
                                120)
            judge(t, f"balance --costs {name} --column {col}", rc, out, hung, {0, 2}, [p, "column"])


# ---- output folders ---------------------------------------------------------------

def outputs(t, a, rng):
    d = os.path.join(a.work, "outputs")
    os.makedirs(d, exist_ok=True)
    smoke = ["configs/smoke.yaml", "-q", "--only", "model.layers.0.self_attn.k_proj*"]
    target = os.path.join(d, "real")
    os.makedirs(target)
    # results already there, which nothing may change
    rc, out, _ = run([a.fidrun] + smoke + ["--out", target], 120)
    rc, out, _ = run([a.fidrun] + smoke + ["--out", target], 120)
    before = {f: sha(os.path.join(target, f)) for f in os.listdir(target) if f.endswith(".h5")}
    os.symlink(target, os.path.join(d, "link"))
    rc, out, hung = run([a.fidrun] + smoke + ["--out", os.path.join(d, "link")], 120)
    judge(t, "--out a symlink to a folder", rc, out, hung, {0}, [])
    os.symlink(os.path.join(d, "nowhere", "deeper"), os.path.join(d, "dangling"))
    rc, out, hung = run([a.fidrun] + smoke + ["--out", os.path.join(d, "dangling")], 120)
    judge(t, "--out a dangling symlink", rc, out, hung, {3}, [os.path.join(d, "dangling")])
    rc, out, hung = run([a.fidrun] + smoke + ["--out", "/proc/self/fidrun"], 120)
    judge(t, "--out under /proc", rc, out, hung, {3}, ["/proc/self/fidrun"])
    file_out = os.path.join(d, "a-file")
    write(file_out, "x")
    rc, out, hung = run([a.fidrun] + smoke + ["--out", file_out], 120)
    judge(t, "--out an existing file", rc, out, hung, {3}, [file_out])
    if os.geteuid() == 0:
        ro = os.path.join(d, "read-only")
        os.makedirs(ro)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro]).returncode == 0:
            rc, out, hung = run([a.fidrun] + smoke + ["--out", ro], 120)
            judge(t, "--out a read-only file system", rc, out, hung, {3}, [ro])
            subprocess.run(["umount", ro])
        full = os.path.join(d, "full")
        os.makedirs(full)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", full]).returncode == 0:
            rc, out, hung = run([a.fidrun] + smoke + ["--out", full], 120)
            judge(t, "--out a full file system", rc, out, hung, {3}, [full])
            subprocess.run(["umount", full])
    else:
        t.bad("wrong exit codes", "the read-only and full file system cases need root")
    # two runs into one folder at once, several times: each finishes or refuses, nothing is lost
    for k in range(3):
        procs = []
        for _ in range(2):
            e = dict(os.environ)
            e.update(MPI_ENV)
            procs.append(subprocess.Popen(["mpirun", "-np", "2", a.fidrun, "configs/smoke.yaml", "-q", "--out", target],
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e, start_new_session=True))
        for p in procs:
            try:
                out, _ = p.communicate(timeout=120)
                judge(t, f"two runs at once into one folder ({k})", p.returncode, out.decode(), False, {0, 2},
                      [target])
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.communicate()
                judge(t, f"two runs at once into one folder ({k})", None, "", True, {0, 2}, [])
        leftover = [f for f in os.listdir(target) if f.endswith(".journal")]
        for j in leftover:  # a refused run leaves none; a finished one removes its own
            t.bad("losses", f"a journal left in {target}: {j}")
            shutil.rmtree(os.path.join(target, j), ignore_errors=True)
    after = {f: sha(os.path.join(target, f)) for f in before if os.path.exists(os.path.join(target, f))}
    t.cases += 1
    if after != before:
        t.bad("losses", f"results files in {target} changed or went: {sorted(set(before) ^ set(after))}")


# ---- SIGKILL and resume ---------------------------------------------------------------

def fidrun_pids(binary):
    """This binary's processes (not another checkout's, nor mpirun)."""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.readlink(f"/proc/{p}/exe") == binary:
                    out.append(int(p))
            except OSError:
                pass
    return out


def rank_pids(binary):
    pids = {}
    for p in fidrun_pids(binary):
        try:
            with open(f"/proc/{p}/environ", "rb") as f:
                env = dict(x.split(b"=", 1) for x in f.read().split(b"\0") if b"=" in x)
        except OSError:
            continue
        r = env.get(b"OMPI_COMM_WORLD_RANK")
        if r is not None:
            pids[int(r)] = p
    return pids


def kills(t, a, rng, n):
    d = os.path.join(a.work, "kills")
    os.makedirs(d, exist_ok=True)
    cfg = ["configs/smoke.yaml", "--set", "suites.osft.layers=4"]
    ref = os.path.join(d, "ref")
    rc, out, _ = run([a.fidrun] + cfg + ["-q", "--out", ref], 600)
    ref_files = [os.path.join(ref, f) for f in os.listdir(ref)] if os.path.isdir(ref) else []
    if rc != 0 or not ref_files:
        t.bad("losses", f"the -np 1 reference run: exit {rc}: {out[-300:]}")
        return
    for k in range(n):
        out_dir = os.path.join(d, f"run{k}")
        e = dict(os.environ)
        e.update(MPI_ENV)
        p = subprocess.Popen(["mpirun", "-np", "4", a.fidrun] + cfg + ["-q", "--out", out_dir], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=e, start_new_session=True)
        time.sleep(rng.uniform(0.3, 3.0))
        victim = rng.randrange(4)
        pids = rank_pids(a.fidrun)
        if victim in pids:
            try:
                os.kill(pids[victim], signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            t.bad("hangs", f"run {k}: the job did not end within 60 s of killing rank {victim}")
        time.sleep(0.5)
        t.cases += 1
        left = fidrun_pids(a.fidrun)
        if left:
            t.bad("losses", f"run {k}: processes left after the kill: {left}")
            for q in left:
                try:
                    os.kill(q, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        np_resume = rng.choice([1, 2, 4])
        rc, out, hung = run(["mpirun", "-np", str(np_resume), a.fidrun] + cfg + ["-q", "--out", out_dir, "--resume",
                                                                                 "auto"], 300)
        judge(t, f"run {k}: --resume auto at -np {np_resume} after SIGKILL to rank {victim}", rc, out, hung, {0}, [])
        got = sorted(f for f in os.listdir(out_dir) if f.endswith(".h5")) if os.path.isdir(out_dir) else []
        if rc == 0 and len(got) == 1:
            c = subprocess.run([a.h5records, "compare", ref_files[0], os.path.join(out_dir, got[0]), "osft"],
                               capture_output=True, text=True)
            if c.returncode != 0:
                t.bad("losses", f"run {k}: the resumed figures differ from -np 1's: {c.stdout[-300:]}{c.stderr[-300:]}")
        elif rc == 0:
            t.bad("losses", f"run {k}: {len(got)} results files after the resume")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fidrun")
    ap.add_argument("h5records")
    ap.add_argument("work")
    ap.add_argument("--size", choices=("small", "large"), default="small")
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    a.fidrun, a.h5records = os.path.realpath(a.fidrun), os.path.realpath(a.h5records)
    os.makedirs(a.work, exist_ok=True)
    large = a.size == "large"
    families = [
        ("configs", lambda t, rng: configs(t, a, rng, 2000 if large else 150, 30 if large else 6)),
        ("checkpoints", lambda t, rng: checkpoints(t, a, rng, 1 if large else 4)),
        ("results", lambda t, rng: results(t, a, rng, 40 if large else 6)),
        ("costs", lambda t, rng: costs(t, a, rng, 10_000_000 if large else 1_000_000)),
        ("outputs", lambda t, rng: outputs(t, a, rng)),
        ("kills", lambda t, rng: kills(t, a, rng, 30 if large else 10)),
    ]
    passed = failed = 0
    totals = Tally()
    print(f"campaign ({a.size}, seed {a.seed}; {a.fidrun})")
    for name, fn in families:
        if a.only and name not in a.only.split(","):
            continue
        t = Tally()
        t0 = time.time()
        fn(t, random.Random(f"{a.seed}-{name}"))
        counts = ", ".join(f"{len(t.problems[k])} {k}" for k in Tally.KINDS)
        if t.failed():
            failed += 1
            print(f"FAILED   {name}: {t.cases} cases in {time.time() - t0:.0f}s: {counts}")
            for k in Tally.KINDS:
                for p in t.problems[k][:8]:
                    print(f"         | {k}: {p}")
        else:
            passed += 1
            print(f"ok       {name}: {t.cases} cases in {time.time() - t0:.0f}s: {counts}")
        totals.cases += t.cases
        for k in Tally.KINDS:
            totals.problems[k] += t.problems[k]
    print(f"campaign totals: {totals.cases} cases, " + ", ".join(f"{len(totals.problems[k])} {k}" for k in Tally.KINDS))
    print(f"campaign: {passed} passed, {failed} failed, 0 skipped")
    if os.environ.get("COUNTS"):
        with open(os.environ["COUNTS"], "w") as f:
            f.write(f"{passed} {failed} 0 0\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
