#!/usr/bin/env bash
# oneshot_throughput.sh: speed and peak memory of data-free `nuq oneshot` on a synthetic bf16
# checkpoint with Llama-3-8B layer shapes, next to a plain copy of the same files.
#
#   benchmarks/oneshot_throughput.sh [--nuq PATH] [--scratch DIR] [--threads N]
#                                    [--layers N] [--shard-mb N] [--repeat N] [--keep]
#
# Steps: (a) write the checkpoint (Python 3 standard library only) into a scratch directory;
# (b) read every input file once so that the page cache holds all of them, then time
# `cp -r` of the model directory followed by an fsync of every copied file (nuq fsyncs each
# file it writes before renaming its output into place, so both pay for the same durability);
# (c) time `nuq oneshot` with the int4/int8 and the nvfp4a16/fp8 recipes the same way, with
# the peak RSS from wait4(2), as GNU time -v reports it; (d) print one table row per recipe
# with the targets of issue 3, item 6:
#   speed: input GB/s of oneshot >= 0.5 x GB/s of the copy
#   memory: peak RSS <= 2 x the largest tensor + 300 MB
# GB and MB are 10^9 and 10^6 bytes. The scratch directory is removed at the end (unless
# --keep), also on failure or Ctrl-C. Exit status: 0 all targets met, 1 a target missed,
# 2 bad usage or a step failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
nuq="$root/build-bench/examples/nuq"
scratch_parent="${TMPDIR:-/tmp}"
threads=2
layers=2
shard_mb=500
repeat=1
keep=0

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --nuq) nuq=$2; shift 2 ;;
    --scratch) scratch_parent=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --layers) layers=$2; shift 2 ;;
    --shard-mb) shard_mb=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ ! -x "$nuq" ]; then
    echo "no nuq program at $nuq; build it with" >&2
    echo "  cmake -S $root -B $root/build-bench -DNUQ_BUILD_TESTS=OFF &&" \
         "cmake --build $root/build-bench -j2 --target nuq_program" >&2
    echo "or pass --nuq PATH" >&2
    exit 2
fi
command -v python3 >/dev/null ||
    { echo "python3 is needed (apt-get install -y python3)" >&2; exit 2; }

mkdir -p "$scratch_parent"
scratch=$(mktemp -d "$scratch_parent/nuq-oneshot-bench.XXXXXX")
cleanup() {
    if [ "$keep" = 1 ]; then echo "kept $scratch" >&2; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM
model="$scratch/model"

# measure CMD...: runs CMD and prints "wall user sys maxrss_mb anon_mb file_mb" (seconds, MB):
# times and peak RSS from wait4(2) (what GNU time -v reports), and the peaks of RssAnon and
# RssFile of the process sampled every 20 ms from /proc (which part of the RSS is mapped file).
cat >"$scratch/measure.py" <<'PY'
import os, subprocess, sys, threading, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:])
peak = {"RssAnon:": 0, "RssFile:": 0}
done = threading.Event()
def sample():  # p.poll() would race with wait4 to reap the child: stop on an event instead
    while not done.is_set():
        try:
            with open(f"/proc/{p.pid}/status") as f:
                for line in f:
                    k = line.split(None, 1)[0]
                    if k in peak:
                        peak[k] = max(peak[k], int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.02)
th = threading.Thread(target=sample, daemon=True)
th.start()
_, status, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t0
done.set()
th.join()
p.returncode = os.waitstatus_to_exitcode(status)
print(f"{wall:.3f} {ru.ru_utime:.2f} {ru.ru_stime:.2f} {ru.ru_maxrss * 1024 / 1e6:.0f} "
      f"{peak['RssAnon:'] * 1024 / 1e6:.0f} {peak['RssFile:'] * 1024 / 1e6:.0f}")
sys.exit(p.returncode)
PY
measure() { python3 "$scratch/measure.py" "$@"; }

# ---- (a) the synthetic checkpoint -------------------------------------------------------------
echo "writing a synthetic bf16 Llama-3-8B-shaped checkpoint ($layers layers) to $model" >&2
python3 - "$model" "$layers" "$shard_mb" >"$scratch/model.info" <<'PY'
import array, json, math, os, random, struct, sys

out, layers, shard_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
H, I, HEADS, KV, HD, V = 4096, 14336, 32, 8, 128, 128256
os.makedirs(out)

# (name, shape, kind): module order, as transformers saves a LlamaForCausalLM
tensors = [("model.embed_tokens.weight", [V, H], "w")]
for l in range(layers):
    p = f"model.layers.{l}."
    tensors += [
        (p + "input_layernorm.weight", [H], "norm"),
        (p + "self_attn.q_proj.weight", [HEADS * HD, H], "w"),
        (p + "self_attn.k_proj.weight", [KV * HD, H], "w"),
        (p + "self_attn.v_proj.weight", [KV * HD, H], "w"),
        (p + "self_attn.o_proj.weight", [H, HEADS * HD], "w"),
        (p + "post_attention_layernorm.weight", [H], "norm"),
        (p + "mlp.gate_proj.weight", [I, H], "w"),
        (p + "mlp.up_proj.weight", [I, H], "w"),
        (p + "mlp.down_proj.weight", [H, I], "w"),
    ]
tensors += [("model.norm.weight", [H], "norm"), ("lm_head.weight", [V, H], "w")]

def bf16(values):
    """float list -> bf16 little-endian bytes (truncated float32)."""
    f = array.array("f", values)
    if sys.byteorder != "little":
        f.byteswap()
    b = f.tobytes()
    o = bytearray(len(b) // 2)
    o[0::2], o[1::2] = b[2::4], b[3::4]
    return bytes(o)

# One 16 MiB block of N(0, 0.02) values; each weight is that block read from a different,
# random (even) starting offset, so no tensor is a copy of another and no group is constant.
rng = random.Random(20240607)
block = bf16([rng.gauss(0.0, 0.02) for _ in range(1 << 23)])
block2 = block + block

def payload(shape, kind):
    n = math.prod(shape)
    if kind == "norm":
        return bf16([1.0 + rng.gauss(0.0, 0.02) for _ in range(n)])
    return None  # streamed from the block

# shards as transformers splits them: greedy in module order, a tensor larger than the limit alone
limit = shard_mb * 1_000_000
shards, cur, cur_bytes = [], [], 0
for t in tensors:
    b = math.prod(t[1]) * 2
    if cur and cur_bytes + b > limit:
        shards.append(cur); cur, cur_bytes = [], 0
    cur.append(t); cur_bytes += b
shards.append(cur)

weight_map, total, largest = {}, 0, ("", 0)
for i, group in enumerate(shards):
    fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
    group = sorted(group)
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, shape, _ in group:
        b = math.prod(shape) * 2
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [off, off + b]}
        off += b
        weight_map[name] = fname
        total += b
        if b > largest[1]:
            largest = (name, b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-(8 + len(h)) % 8)
    with open(os.path.join(out, fname), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for name, shape, kind in group:
            n = math.prod(shape) * 2
            data = payload(shape, kind)
            if data is not None:
                f.write(data)
                continue
            pos = rng.randrange(len(block) // 2) * 2
            mv = memoryview(block2)
            while n:
                k = min(n, len(block))
                f.write(mv[pos:pos + k])
                n -= k
                pos = (pos + k) % len(block)

with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))},
              f, indent=2)
config = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 128000, "dtype": "bfloat16", "eos_token_id": 128001, "head_dim": HD,
    "hidden_act": "silu", "hidden_size": H, "initializer_range": 0.02, "intermediate_size": I,
    "max_position_embeddings": 8192, "mlp_bias": False, "model_type": "llama",
    "num_attention_heads": HEADS, "num_hidden_layers": layers, "num_key_value_heads": KV,
    "pretraining_tp": 1, "rms_norm_eps": 1e-05,
    "rope_parameters": {"rope_theta": 500000.0, "rope_type": "default"},
    "tie_word_embeddings": False, "transformers_version": "5.17.0", "use_cache": True,
    "vocab_size": V,
}
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f, indent=2, sort_keys=True)
print(f"tensors={len(tensors)} shards={len(shards)} total={total} "
      f"largest_name={largest[0]} largest={largest[1]}")
PY
# shellcheck disable=SC1090
eval "$(tr ' ' '\n' <"$scratch/model.info" |
    grep -E '^(tensors|shards|total|largest|largest_name)=')"
input_bytes=$(du -sb "$model" | cut -f1)
awk -v t="$total" -v i="$input_bytes" -v n="$tensors" -v s="$shards" -v L="$largest" \
    -v ln="$largest_name" 'BEGIN { printf "  %d tensors in %d shards: %.3f GB of tensors, " \
    "%.3f GB of files; largest tensor %s, %.1f MB\n", n, s, t / 1e9, i / 1e9, ln, L / 1e6 }' >&2

# page cache: every input file read once, so that the copy and each oneshot find them cached
warm() { cat "$model"/* >/dev/null; sync; }

# ---- (b) the plain copy -----------------------------------------------------------------------
# best(A, B): the smaller of two numbers, the second if the first is empty
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
cpu() { awk -v u="$1" -v s="$2" 'BEGIN { printf "%.2f", u + s }'; }
gbs() { awk -v b="$input_bytes" -v t="$1" 'BEGIN { printf "%.3f", b / t / 1e9 }'; }
copy_t="" copy_cpu=""
for _ in $(seq "$repeat"); do
    warm
    rm -rf "$scratch/copy"
    # cp, then fsync(2) of each copied file (coreutils sync FILE...), as nuq syncs its files
    res=$(measure sh -c 'cp -r "$1" "$2" && sync "$2"/*' sh "$model" "$scratch/copy") ||
        { echo "the copy failed" >&2; exit 2; }
    read -r t u s _ <<<"$res"
    echo "  copy: ${t} s wall, ${u} s user, ${s} s sys, $(gbs "$t") GB/s" >&2
    [ "$(best "$copy_t" "$t")" = "$t" ] && copy_cpu=$(cpu "$u" "$s")
    copy_t=$(best "$copy_t" "$t")
    rm -rf "$scratch/copy"
done
copy_gbs=$(gbs "$copy_t")

# ---- (c) nuq oneshot with each recipe ---------------------------------------------------------
limit_mb=$(awk -v L="$largest" 'BEGIN { printf "%.0f", 2 * L / 1e6 + 300 }')
rows=""
status=0
for recipe in int4_int8 nvfp4a16_fp8; do
    best_t="" best_rss="" best_cpu=""
    for _ in $(seq "$repeat"); do
        warm
        rm -rf "$scratch/out"
        res=$(measure "$nuq" oneshot --model "$model" \
            --recipe "$root/examples/recipes/$recipe.yaml" --output "$scratch/out" \
            --threads "$threads" 2>"$scratch/$recipe.log") ||
            { echo "nuq oneshot failed with $recipe:" >&2; cat "$scratch/$recipe.log" >&2; exit 2; }
        read -r t u s rss anon file <<<"$res"
        [ "$(best "$best_t" "$t")" = "$t" ] && best_cpu=$(cpu "$u" "$s")
        best_t=$(best "$best_t" "$t")
        best_rss=$(awk -v a="$best_rss" -v b="$rss" 'BEGIN { print (a == "" || b > a) ? b : a }')
        out_bytes=$(du -sb "$scratch/out" | cut -f1)
        # the per-layer times nuq logs: quantize + pack + write of each quantized weight
        layer_s=$(awk '/ ms\)$/ { gsub(/[()]/, "", $(NF - 1)); s += $(NF - 1) }
            END { printf "%.2f", s / 1000 }' "$scratch/$recipe.log")
        echo "  $recipe: ${t} s wall, ${u} s user, ${s} s sys, $(gbs "$t") GB/s;" \
             "quantized layers ${layer_s} s; output $(awk -v b="$out_bytes" \
             'BEGIN { printf "%.3f", b / 1e9 }') GB; peak RSS ${rss} MB" \
             "(sampled peaks: anonymous ${anon} MB, mapped files ${file} MB)" >&2
        rm -rf "$scratch/out"
    done
    row=$(awk -v r="$recipe" -v t="$best_t" -v b="$input_bytes" -v c="$copy_gbs" \
        -v m="$best_rss" -v l="$limit_mb" -v cpu="$best_cpu" 'BEGIN {
        g = b / t / 1e9; q = g / c
        printf "%-13s %7.2f %6.2f %7.3f %7.3f %6.2f %-4s %8d %8d %-4s", r, t, cpu, g, c, q,
               (q >= 0.5 ? "PASS" : "FAIL"), m, l, (m <= l ? "PASS" : "FAIL") }')
    case "$row" in *FAIL*) status=1 ;; esac
    rows="$rows$row"$'\n'
done

# ---- (d) the table ----------------------------------------------------------------------------
echo
echo "nuq oneshot, synthetic Llama-3-8B shapes, $layers layers, $(awk -v b="$input_bytes" \
    'BEGIN { printf "%.3f", b / 1e9 }') GB input, --threads $threads, $(nproc) cores," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg) (best of $repeat)"
printf "%-13s %7s %6s %7s %7s %6s %-4s %8s %8s %-4s\n" recipe seconds 'CPU s' 'in GB/s' \
    'cp GB/s' ratio '>=.5' 'RSS MB' 'limit MB' 'RSS'
printf "%s" "$rows"
echo "(copy: ${copy_t} s, ${copy_cpu} CPU s; CPU s = user + system seconds of the process)"
exit "$status"
