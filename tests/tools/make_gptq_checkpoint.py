#!/usr/bin/env python3
"""A small GPTQ checkpoint and its original, written independently of fidrun.

usage: make_gptq_checkpoint.py ROOT v1|v2|v1-twice|v2-twice gptq|gptq_v2|none

ROOT/orig: a Qwen-like folder (2 layers, q/k/up/down projections, fp32) with
config.json. ROOT/q: the same layers quantized by round-to-nearest (4-bit,
asymmetric, group 32, fp16 scales) and packed in the HF GPTQ layout with its
zeros written as v1 (zero - 1) or v2 (zero), or converted twice (v1-twice:
zero - 2, v1's conversion applied to v1 zeros; v2-twice: zero + 1, v1 zeros
"converted" to v2 the wrong way), and config.json's
quantization_config declaring checkpoint_format (or none at all).
ROOT/errors.json: each layer's ||W - W_q||_F / ||W||_F as NumPy computes it.
"""
import json, sys, os, numpy as np
from safetensors.numpy import save_file
root, fmt, declared = sys.argv[1], sys.argv[2], sys.argv[3]
rng = np.random.default_rng(11)
h, inter, bits, gs = 64, 128, 4, 32
maxq = 2 ** bits - 1
shapes = {"self_attn.q_proj": (h, h), "self_attn.k_proj": (32, h), "mlp.up_proj": (inter, h), "mlp.down_proj": (h, inter)}
orig, quant, errs = {}, {}, {}
def pack_cols(codes):            # codes [in, out] -> int32 [in*bits/32, out], along the input dim
    per = 32 // bits
    k, n = codes.shape
    w = np.zeros((k // per, n), np.uint32)
    for j in range(per):
        w |= (codes[j::per].astype(np.uint32) & maxq) << (bits * j)
    return w.view(np.int32)
def pack_rows(z):                # z [groups, out] -> int32 [groups, out*bits/32], along the output dim
    per = 32 // bits
    g, n = z.shape
    w = np.zeros((g, n // per), np.uint32)
    for j in range(per):
        w |= (z[:, j::per].astype(np.uint32) & maxq) << (bits * j)
    return w.view(np.int32)
for l in range(2):
    for m, (o, i) in shapes.items():
        name = f"model.layers.{l}.{m}"
        w = (rng.standard_normal((o, i)) * 0.02).astype(np.float32)
        orig[name + ".weight"] = w
        g = w.reshape(o, i // gs, gs)
        lo, hi = np.minimum(g.min(-1), 0), np.maximum(g.max(-1), 0)
        scale = ((hi - lo) / maxq).astype(np.float16)          # [o, groups]
        s32 = scale.astype(np.float32)
        zero = np.clip(np.round(-lo / s32), 0, maxq)
        q = np.clip(np.round(g / s32[..., None]) + zero[..., None], 0, maxq)
        deq = (s32[..., None] * (q - zero[..., None])).reshape(o, i)
        errs[name] = float(np.linalg.norm(w - deq) / np.linalg.norm(w))
        stored = {"v1": zero - 1, "v2": zero, "v1-twice": zero - 2, "v2-twice": zero + 1}[fmt]
        quant[name + ".qweight"] = pack_cols(q.reshape(o, i).T.astype(np.int64))
        quant[name + ".qzeros"] = pack_rows(stored.T.astype(np.int64))
        quant[name + ".scales"] = np.ascontiguousarray(scale.T)
        quant[name + ".g_idx"] = (np.arange(i) // gs).astype(np.int32)
os.makedirs(f"{root}/orig", exist_ok=True); os.makedirs(f"{root}/q", exist_ok=True)
save_file(orig, f"{root}/orig/model.safetensors")
save_file(quant, f"{root}/q/model.safetensors")
cfg = {"model_type": "qwen2", "hidden_size": h, "intermediate_size": inter, "num_hidden_layers": 2,
       "num_attention_heads": 4, "num_key_value_heads": 2}
json.dump(cfg, open(f"{root}/orig/config.json", "w"))
if declared != "none":
    cfg["quantization_config"] = {"quant_method": "gptq", "bits": bits, "group_size": gs, "desc_act": False,
                                  "sym": False, "checkpoint_format": declared}
json.dump(cfg, open(f"{root}/q/config.json", "w"))
json.dump(errs, open(f"{root}/errors.json", "w"))
