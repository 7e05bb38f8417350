#!/usr/bin/env python3
"""A checkpoint `fidrun gptq --model` wrote, read as loaders read it, by
code independent of fidrun: the index and shards with the `safetensors`
package, every layer unpacked as AutoGPTQ's QuantLinear does (qweight and
qzeros bit streams, v1 zeros stored minus one) and dequantized
(scales[g_idx] * (code - zero)), against the original weights.

Checks: the index names every tensor of the shards once; every tensor of
the original that was not quantized is byte for byte the same; every layer's
weight MSE equals the one fidrun's results file reports; config.json is the
original's plus quantization_config, and quantize_config.json agrees with it.
Prints one summary line; exits non-zero on any disagreement.
usage: gptq_checkpoint_check.py ORIGINAL_DIR QUANTIZED_DIR RESULTS.h5"""
import json
import os
import sys

import h5py
import numpy as np
from safetensors import safe_open

sys.path.insert(0, os.path.dirname(__file__))
from gptq_reference import unpack_stream  # noqa: E402  (the bit-stream reader, independent of fidrun)


def tensors(folder):
    """name -> array, through the index when there is one."""
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    out = {}
    for f in files:
        with safe_open(os.path.join(folder, f), "np") as st:
            for k in st.keys():
                assert k not in out, f"{k} in two shards"
                out[k] = st.get_tensor(k)
    return out


def main():
    orig_dir, q_dir, results = sys.argv[1:4]
    index = json.load(open(os.path.join(q_dir, "model.safetensors.index.json")))["weight_map"]
    shard_names = {}
    for f in set(index.values()):
        with safe_open(os.path.join(q_dir, f), "np") as st:
            for k in st.keys():
                shard_names[k] = f
    assert shard_names == index, "the index and the shards disagree"
    orig, quant = tensors(orig_dir), tensors(q_dir)
    cfg, ocfg = json.load(open(os.path.join(q_dir, "config.json"))), json.load(open(os.path.join(orig_dir, "config.json")))
    qc = cfg.pop("quantization_config")
    assert cfg == ocfg, "config.json changed beyond quantization_config"
    assert qc == json.load(open(os.path.join(q_dir, "quantize_config.json")))
    assert qc["quant_method"] == "gptq" and qc["checkpoint_format"] in ("gptq", "gptq_v2")
    v1 = qc["checkpoint_format"] == "gptq"
    conv1d = ocfg.get("model_type") == "gpt2"
    rows = h5py.File(results)["gptq/layers"][()]
    quantized = set()
    worst = 0.0
    for r in rows:
        name = r["name"].decode()
        prefix = name[: -len(".weight")]
        quantized.add(name)
        qweight, qzeros = quant[prefix + ".qweight"], quant[prefix + ".qzeros"]
        scales, g_idx = quant[prefix + ".scales"].astype(np.float32), quant[prefix + ".g_idx"]
        bits, cols = qc["bits"], g_idx.shape[0]
        assert qweight.shape[0] * 32 // cols == bits and name not in quant
        codes = unpack_stream(qweight, bits, cols).T                     # out x in
        zeros = unpack_stream(qzeros.T, bits, scales.shape[1]).T        # groups x out
        zeros = zeros + 1 if v1 else zeros
        w_q = scales[g_idx].T * (codes - zeros[g_idx].T)               # out x in
        w = orig[name].astype(np.float64)
        w = w.T if conv1d else w                                        # GPT-2's Conv1D: stored [in, out]
        assert w.shape == w_q.shape, (name, w.shape, w_q.shape)
        mse = float(np.mean((w - w_q) ** 2))
        worst = max(worst, abs(mse - r["weight_mse"]) / r["weight_mse"])
    assert worst < 1e-5, f"weight MSE against fidrun's: worst relative difference {worst}"
    copied = 0
    for name, a in orig.items():
        if name in quantized:
            continue
        b = quant[name]
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), name
        copied += 1
    assert copied + 4 * len(quantized) == len(quant), "tensors beyond the layers and the copies"
    print(f"{len(quantized)} layers unpacked as AutoGPTQ does, weight MSE as fidrun reports it (worst relative "
          f"difference {worst:.0e}); {copied} tensors byte-identical; {len(set(index.values()))} shards, index complete")


main()
