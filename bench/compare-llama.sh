#!/usr/bin/env bash
# R1Sharp vs llama.cpp on the same GGUF files, alternating, N rounds: medians and ratios (bench/R1Sharp.Bench compare-llama).
# llama.cpp is not built here: point LLAMA_BENCH at its llama-bench (and LLAMA_BATCHED_BENCH at llama-batched-bench for
# decode at a depth). Example:
#   LLAMA_BENCH=/work/llama.cpp/build/bin/llama-bench bench/compare-llama.sh --rounds 5 -t 2 -p 128 -n 32 \
#     --models /work/models-bench/r1-distill-qwen-1.5b-random-q8_0.gguf,/work/models-bench/r1-distill-qwen-1.5b-random-q4_0.gguf
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${LLAMA_BENCH:?set LLAMA_BENCH to the path of the llama-bench binary of llama.cpp}"
"$root/r1" --help >/dev/null   # builds r1 if sources changed
R1_ARTIFACTS="${R1_ARTIFACTS:-$root/artifacts}" dotnet build "$root/bench/R1Sharp.Bench" -c Release --nologo -v quiet >/dev/null
exec "${R1_ARTIFACTS:-$root/artifacts}/bin/R1Sharp.Bench/release/R1Sharp.Bench" compare-llama --r1 "$root/r1" "$@"
