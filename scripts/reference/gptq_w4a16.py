# GPTQ W4A16 as llm-compressor computes it (docs/ALGORITHMS.md §4), re-stated in torch, on
# tiny-llama-sotu with the issue-6 protocol (64 × 256 bytes of sotu_calib.txt, sequential layer
# by layer with propagation; perplexity on sotu_eval.txt, 64 windows of 256, fp32 eager). The
# variants differ only in the calibration forward's dtype and attention. Needs torch and
# transformers (not CI); from the project root: python3 scripts/reference/gptq_w4a16.py
# Measured (torch 2.11, transformers 5.17, CPU): A bf16 sdpa 3.110110 (llm-compressor: 3.1101),
# B fp32 eager 3.118394, C fp32 with bf16-rounded Hessian inputs 3.117221, D bf16 eager 3.112361.
import torch, math, sys, os, time, json
from transformers import AutoModelForCausalLM
torch.set_num_threads(int(os.environ.get("THREADS", "16")))
MODEL = "examples/data/tiny-llama-sotu"
OUT = os.environ.get("OUT", "/tmp")
calib = open("examples/data/sotu_calib.txt", "rb").read()
evalb = open("examples/data/sotu_eval.txt", "rb").read()
NS = int(os.environ.get("NS", "64"))
samples = [torch.tensor(list(calib[256 * i:256 * i + 256])).unsqueeze(0) for i in range(NS)]
LIN = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
       "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]

def load(dtype, attn):
    try:
        m = AutoModelForCausalLM.from_pretrained(MODEL, dtype=dtype, attn_implementation=attn)
    except TypeError:
        m = AutoModelForCausalLM.from_pretrained(MODEL, torch_dtype=dtype, attn_implementation=attn)
    return m.eval()

def get(mod, path):
    for p in path.split("."):
        mod = getattr(mod, p)
    return mod

def scales(Wb):  # bf16 weight -> bf16 scale [rows, groups], int4 sym g128
    r, c = Wb.shape
    g = Wb.reshape(r, c // 128, 128)
    mn = torch.minimum(g.amin(-1), torch.zeros((), dtype=Wb.dtype))
    mx = torch.maximum(g.amax(-1), torch.zeros((), dtype=Wb.dtype))
    s = torch.maximum(mn.abs(), mx.abs()) / 7.5
    return torch.where(s == 0, torch.finfo(s.dtype).eps, s)

def fq(w, s):  # w fp32 column, s bf16 per row
    q = torch.round(torch.clamp(w / s, -8, 7))
    return (q.to(s.dtype) * s).float()

def gptq(Wb, H, actorder=True, damp=0.01, B=128):
    Wb = Wb.to(torch.bfloat16)  # the checkpoint dtype: qparams in bf16 whatever the forward runs in
    W = Wb.float().clone()
    r, c = W.shape
    S = scales(Wb)
    gidx = torch.arange(c) // 128
    if actorder:
        perm = torch.argsort(torch.diag(H), descending=True, stable=True)
        W = W[:, perm]; H = H[perm][:, perm]; gidx = gidx[perm]
    H = H.clone()
    dead = torch.diag(H) == 0
    H[dead, dead] = 1; W[:, dead] = 0
    H += damp * torch.mean(torch.diag(H)) * torch.eye(c)
    L = torch.linalg.cholesky(H)
    U = torch.linalg.cholesky(torch.cholesky_inverse(L), upper=True)
    loss = 0.0
    for i1 in range(0, c, B):
        i2 = min(i1 + B, c)
        W1 = W[:, i1:i2].clone(); Q1 = torch.zeros_like(W1); E1 = torch.zeros_like(W1)
        U1 = U[i1:i2, i1:i2]
        for i in range(i2 - i1):
            w = W1[:, i]; d = U1[i, i]
            q = fq(w, S[:, gidx[i1 + i]])
            Q1[:, i] = q
            loss += float(((w - q) ** 2 / d ** 2).sum() / 2)
            e = (w - q) / d
            W1[:, i:] -= e.unsqueeze(1) @ U1[i, i:].unsqueeze(0)
            E1[:, i] = e
        W[:, i1:i2] = Q1
        W[:, i2:] -= E1 @ U[i1:i2, i2:]
    if actorder:
        W = W[:, torch.argsort(perm)]
    return W.to(Wb.dtype), loss

def rtn(Wb):
    Wb = Wb.to(torch.bfloat16)
    S = scales(Wb).repeat_interleave(128, dim=1)
    return fq(Wb.float(), S).to(Wb.dtype)

def layer_inputs(model):
    cap = []
    def pre(mod, args, kwargs):
        cap.append((args, kwargs)); raise StopIteration
    h = model.model.layers[0].register_forward_pre_hook(pre, with_kwargs=True)
    hs, kw = [], None
    for x in samples:
        try:
            with torch.no_grad(): model(input_ids=x, use_cache=False)
        except StopIteration:
            pass
        a, k = cap.pop()
        hidden = a[0] if a else k.pop("hidden_states")
        k = dict(k); k.pop("hidden_states", None); k.pop("past_key_values", None); k.pop("past_key_value", None); k["use_cache"] = False
        hs.append(hidden); kw = k
    h.remove()
    return hs, kw

def run_layer(layer, h, kw):
    with torch.no_grad():
        o = layer(h, **kw)
    return o[0] if isinstance(o, tuple) else o

def quantize_model(dtype, attn, method, xround=None):
    model = load(dtype, attn)
    hs, kw = layer_inputs(model)
    losses = {}
    t0 = time.time()
    for li, layer in enumerate(model.model.layers):
        if method == "gptq":
            Hs = {n: torch.zeros(get(layer, n).in_features, get(layer, n).in_features) for n in LIN}
            cnt = {n: 0 for n in LIN}
            hooks = []
            for n in LIN:
                def hook(mod, args, out, n=n):
                    X = args[0].reshape(-1, args[0].shape[-1])
                    if xround is not None: X = X.to(xround)
                    X = X.float() * math.sqrt(2)
                    Hs[n] += X.t() @ X; cnt[n] += args[0].shape[0]
                hooks.append(get(layer, n).register_forward_hook(hook))
            for h in hs: run_layer(layer, h, kw)
            for hk in hooks: hk.remove()
            for n in LIN:
                lin = get(layer, n)
                Wq, loss = gptq(lin.weight.data, Hs[n] / cnt[n])
                lin.weight.data.copy_(Wq); losses[f"{li}.{n}"] = loss
            if os.environ.get("DUMPH") and li == 0:
                torch.save({n: Hs[n] / cnt[n] for n in LIN}, f"{OUT}/H0_{dtype}_{attn}.pt")
        else:
            for n in LIN:
                lin = get(layer, n); lin.weight.data.copy_(rtn(lin.weight.data))
        hs = [run_layer(layer, h, kw) for h in hs]
    return {k: v.to(torch.bfloat16) for k, v in model.state_dict().items()}, losses, time.time() - t0

def ppl(sd):
    m = load(torch.float32, "eager")
    m.load_state_dict({k: v.float() for k, v in sd.items()})
    tot, n = 0.0, 0
    with torch.no_grad():
        for i in range(64):
            ids = torch.tensor(list(evalb[256 * i:256 * i + 256])).unsqueeze(0)
            lg = m(input_ids=ids, use_cache=False).logits[0, :-1].double()
            tot += float(torch.nn.functional.cross_entropy(lg, ids[0, 1:], reduction="sum")); n += 255
    return math.exp(tot / n)

if __name__ == "__main__":
    import transformers
    print("torch", torch.__version__, "transformers", transformers.__version__, flush=True)
    base = load(torch.bfloat16, "sdpa").state_dict()
    print("unquantized", ppl(base), flush=True)
    sd, _, _ = quantize_model(torch.bfloat16, "sdpa", "rtn"); print("rtn", ppl(sd), flush=True)
    for name, (dt, at, xr) in {"A_bf16_sdpa": (torch.bfloat16, "sdpa", None),
                               "B_fp32_eager": (torch.float32, "eager", None),
                               "C_fp32_eager_Xbf16": (torch.float32, "eager", torch.bfloat16),
                               "D_bf16_eager": (torch.bfloat16, "eager", None)}.items():
        sd, losses, t = quantize_model(dt, at, "gptq", xr)
        print(name, ppl(sd), f"{t:.2f}s", "loss0.q", losses["0.self_attn.q_proj"], "loss5.down", losses["5.mlp.down_proj"], flush=True)
        if name.startswith("A"):
            from safetensors.torch import save_file
            save_file({k: v.contiguous() for k, v in sd.items()}, f"{OUT}/gptq_ref_A.safetensors")
