#!/usr/bin/env python3
"""Small checkpoints of each family fidrun targets, written independently of fidrun.

usage: make_family_checkpoints.py ROOT

ROOT/<family>/: config.json and model.safetensors with the tensor names and
layout transformers' modeling files give that model_type (LlamaDecoderLayer,
MixtralSparseMoeBlock, Qwen2MoeSparseMoeBlock, Phi3's fused projections,
GPT2Block's Conv1D stored [in, out], BertLayer), at a reduced size (hidden
64, 2 layers, a few experts) with random values; and ROOT/<family>/expected.json:
the tensors OSFT targets by default, with their shape as nn.Linear holds it
(out x in) and whether they are stored transposed, listed from the layout
below, not from fidrun.
"""
import json, os, sys
import numpy as np
from safetensors.numpy import save_file

root = sys.argv[1]
rng = np.random.default_rng(23)
H, I, L, V, HEADS, KV = 64, 128, 2, 200, 4, 2
D = H // HEADS

def w(*shape):
    return (rng.standard_normal(shape) * 0.02).astype(np.float32)

def llama_layer(t, p, expected, fused=False):
    if fused:
        t[p + "self_attn.qkv_proj.weight"] = w((HEADS + 2 * KV) * D, H)
        t[p + "mlp.gate_up_proj.weight"] = w(2 * I, H)
    else:
        for n, o in (("q", HEADS * D), ("k", KV * D), ("v", KV * D)):
            t[p + f"self_attn.{n}_proj.weight"] = w(o, H)
    t[p + "self_attn.o_proj.weight"] = w(H, HEADS * D)
    t[p + "input_layernorm.weight"] = np.ones(H, np.float32)

def mlp(t, p):
    t[p + "mlp.gate_proj.weight"] = w(I, H)
    t[p + "mlp.up_proj.weight"] = w(I, H)
    t[p + "mlp.down_proj.weight"] = w(H, I)

def decoder(model_type, layer, extra_cfg=None, tied=False):
    t = {"model.embed_tokens.weight": w(V, H), "model.norm.weight": np.ones(H, np.float32)}
    if not tied:
        t["lm_head.weight"] = w(V, H)
    for l in range(L):
        layer(t, f"model.layers.{l}.")
    cfg = {"model_type": model_type, "hidden_size": H, "intermediate_size": I, "num_hidden_layers": L,
           "num_attention_heads": HEADS, "num_key_value_heads": KV, "tie_word_embeddings": tied}
    cfg.update(extra_cfg or {})
    return t, cfg

families = {}
families["llama"] = decoder("llama", lambda t, p: (llama_layer(t, p, None), mlp(t, p)))
families["qwen2"] = decoder("qwen2", lambda t, p: (llama_layer(t, p, None), mlp(t, p)), tied=True)
families["mistral"] = decoder("mistral", lambda t, p: (llama_layer(t, p, None), mlp(t, p)))
families["gemma"] = decoder("gemma", lambda t, p: (llama_layer(t, p, None), mlp(t, p)), {"head_dim": D}, tied=True)
families["phi3"] = decoder("phi3", lambda t, p: (llama_layer(t, p, None, fused=True),
                                               t.__setitem__(p + "mlp.down_proj.weight", w(H, I))),
                           {"num_key_value_heads": KV})
E = 4
def mixtral_layer(t, p):
    llama_layer(t, p, None)
    for e in range(E):
        t[p + f"block_sparse_moe.experts.{e}.w1.weight"] = w(I, H)
        t[p + f"block_sparse_moe.experts.{e}.w2.weight"] = w(H, I)
        t[p + f"block_sparse_moe.experts.{e}.w3.weight"] = w(I, H)
    t[p + "block_sparse_moe.gate.weight"] = w(E, H)   # the router: not a default target
families["mixtral"] = decoder("mixtral", mixtral_layer, {"num_local_experts": E, "num_experts_per_tok": 2})
def qwen_moe_layer(t, p):
    llama_layer(t, p, None)
    for e in range(E):
        for n, s in (("gate_proj", (32, H)), ("up_proj", (32, H)), ("down_proj", (H, 32))):
            t[p + f"mlp.experts.{e}.{n}.weight"] = w(*s)
    for n, s in (("gate_proj", (I, H)), ("up_proj", (I, H)), ("down_proj", (H, I))):
        t[p + f"mlp.shared_expert.{n}.weight"] = w(*s)
    t[p + "mlp.gate.weight"] = w(E, H)
    t[p + "mlp.shared_expert_gate.weight"] = w(1, H)
families["qwen2_moe"] = decoder("qwen2_moe", qwen_moe_layer, {"num_experts": E, "moe_intermediate_size": 32,
                                                             "shared_expert_intermediate_size": I})

# GPT-2: Conv1D weights are [in, out]
t = {"wte.weight": w(V, H), "wpe.weight": w(32, H)}
for l in range(L):
    p = f"h.{l}."
    t[p + "attn.c_attn.weight"] = w(H, 3 * H)
    t[p + "attn.c_attn.bias"] = np.zeros(3 * H, np.float32)
    t[p + "attn.c_proj.weight"] = w(H, H)
    t[p + "mlp.c_fc.weight"] = w(H, 4 * H)
    t[p + "mlp.c_proj.weight"] = w(4 * H, H)
    t[p + "ln_1.weight"] = np.ones(H, np.float32)
families["gpt2"] = (t, {"model_type": "gpt2", "n_embd": H, "n_layer": L, "n_head": HEADS, "n_inner": None,
                        "vocab_size": V})

# RoBERTa (BERT's layout, prefixed as RobertaModel saves it)
t = {"roberta.embeddings.word_embeddings.weight": w(V, H), "roberta.embeddings.position_embeddings.weight": w(40, H)}
for l in range(L):
    p = f"roberta.encoder.layer.{l}."
    for n in ("query", "key", "value"):
        t[p + f"attention.self.{n}.weight"] = w(H, H)
    t[p + "attention.output.dense.weight"] = w(H, H)
    t[p + "attention.output.LayerNorm.weight"] = np.ones(H, np.float32)
    t[p + "intermediate.dense.weight"] = w(I, H)
    t[p + "output.dense.weight"] = w(H, I)
families["roberta"] = (t, {"model_type": "roberta", "hidden_size": H, "intermediate_size": I,
                           "num_hidden_layers": L, "num_attention_heads": HEADS})

# what OSFT targets by default, from the layouts above: every 2-D weight of the
# layers but routers (block_sparse_moe.gate, mlp.gate, mlp.shared_expert_gate)
routers = (".block_sparse_moe.gate.weight", ".mlp.gate.weight", ".mlp.shared_expert_gate.weight")
for name, (tensors, cfg) in families.items():
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    save_file(tensors, os.path.join(d, "model.safetensors"))
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
    expected = {}
    for n, a in tensors.items():
        in_layer = any(f".{l}." in n or n.startswith(f"h.{l}.") for l in range(L))
        if a.ndim != 2 or not in_layer or not n.endswith(".weight") or n.endswith(routers):
            continue
        conv1d = name == "gpt2"
        out, inn = (a.shape[1], a.shape[0]) if conv1d else a.shape
        expected[n] = {"rows": int(out), "cols": int(inn), "transposed": conv1d}
    json.dump(expected, open(os.path.join(d, "expected.json"), "w"), indent=1)
print(" ".join(sorted(families)))
