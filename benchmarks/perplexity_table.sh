#!/bin/sh
# The issue-6 table: each recipe quantized on the embedded tiny-llama-sotu with llm-compressor's
# calibration protocol (the first 64 consecutive 256-token samples of sotu_calib.txt, no
# shuffling), then `nuq eval` on sotu_eval.txt (64 windows of 256). Prints one Markdown row per
# run: recipe, pipeline, perplexity, oneshot wall time.
#   benchmarks/perplexity_table.sh [--nuq build/examples/nuq] [--threads N]
set -eu
nuq=build/examples/nuq
threads=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nuq) nuq=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "usage: $0 [--nuq PATH] [--threads N]" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
model=$root/examples/data/tiny-llama-sotu
data="--dataset $root/examples/data/sotu_calib.txt --num-calibration-samples 64 --max-seq-length 256"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| recipe | pipeline | perplexity | oneshot time (s) |"
echo "|---|---|---|---|"
row() { # recipe pipeline
  out=$work/out
  rm -rf "$out"
  start=$(date +%s.%N)
  "$nuq" oneshot --quiet --threads "$threads" --model "$model" \
    --recipe "$root/examples/recipes/$1" --output "$out" $data --pipeline "$2"
  end=$(date +%s.%N)
  ppl=$("$nuq" eval --model "$out" --dataset "$root/examples/data/sotu_eval.txt" 2>/dev/null |
        sed -n 's/^perplexity: //p')
  awk -v a="$start" -v b="$end" -v r="$1" -v p="$2" -v q="$ppl" 'BEGIN { printf "| %s | %s | %s | %.2f |\n", r, p, q, b - a }'
}
row rtn_w4a16.yaml datafree
row gptq_w4a16.yaml independent
row int4_int8_gptq.yaml independent
row int4_int8.yaml datafree
row awq_w4a16.yaml independent
row multiple_modifiers.yaml sequential
row multiple_modifiers.yaml independent
