# Makes the transformers references of tests/data/model/tiny-llama-sotu.bf16.safetensors (bf16,
# sdpa activations of tiny-llama-sotu) and tests/data/models/tiny-{qwen2,qwen3,mistral} (random
# models and their fp32 logits). Needs torch and transformers (not CI); from the project root:
#   OUT=/tmp/ref python3 scripts/reference/transformers_forward.py
import torch, os
from transformers import AutoModelForCausalLM, AutoConfig
from safetensors.torch import save_file
torch.set_num_threads(16)
OUT = os.environ["OUT"]
calib = open("examples/data/sotu_calib.txt", "rb").read()
ids = torch.tensor([list(calib[0:128]), list(calib[128:256])])

m = AutoModelForCausalLM.from_pretrained("examples/data/tiny-llama-sotu", dtype=torch.bfloat16,
                                         attn_implementation="sdpa").eval()
out = {}
for i, l in enumerate(m.model.layers):
    l.register_forward_hook(lambda mod, a, o, i=i: out.__setitem__(
        f"layers.{i}.output", (o[0] if isinstance(o, tuple) else o).clone()))
    l.self_attn.o_proj.register_forward_pre_hook(lambda mod, a, i=i: out.__setitem__(
        f"layers.{i}.o_proj.input", a[0].clone()))
    l.mlp.down_proj.register_forward_pre_hook(lambda mod, a, i=i: out.__setitem__(
        f"layers.{i}.down_proj.input", a[0].clone()))
with torch.no_grad():
    m(input_ids=ids, use_cache=False)
keep = {k: v.contiguous() for k, v in out.items()
        if k.endswith(".output") or k in ("layers.0.o_proj.input", "layers.5.o_proj.input",
                                           "layers.0.down_proj.input")}
keep["input_ids"] = ids
save_file(keep, f"{OUT}/tiny-llama-sotu.bf16.safetensors", metadata={
    "made_by": "transformers " + __import__("transformers").__version__ + ", torch " + torch.__version__ +
               ", CPU, dtype bfloat16, attn_implementation sdpa, use_cache False",
    "input": "sotu_calib.txt bytes [0,128) and [128,256), token id = byte"})

base = dict(vocab_size=256, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
            rms_norm_eps=1e-6, tie_word_embeddings=False)
for name, extra in {"qwen2": dict(model_type="qwen2", rope_theta=1e6),
                    "qwen3": dict(model_type="qwen3", head_dim=32, rope_theta=1e6),
                    "mistral": dict(model_type="mistral", rope_theta=1e4, sliding_window=None)}.items():
    torch.manual_seed(0)
    mt = extra.pop("model_type")
    cfg = AutoConfig.for_model(mt, **base, **extra)
    mod = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        for n, p in mod.named_parameters():  # non-trivial norms and biases
            if "norm" in n: p.copy_(1 + 0.1 * torch.randn_like(p))
            elif n.endswith("bias"): p.copy_(0.02 * torch.randn_like(p))
    d = f"{OUT}/tiny-{name}"
    mod.save_pretrained(d)
    t = ids[:, :32]
    with torch.no_grad():
        lg = mod(input_ids=t, use_cache=False).logits
    save_file({"input_ids": t.contiguous(), "logits": lg.contiguous()}, f"{d}/logits.safetensors")
    print(name, os.listdir(d), sum(p.numel() for p in mod.parameters()))
os.system(f"cd {OUT} && tar cf tiny-models.tar tiny-qwen2 tiny-qwen3 tiny-mistral && rm -rf tiny-qwen2 tiny-qwen3 tiny-mistral")
print("ok")
