#!/usr/bin/env bash
# The bundled model's recipe, one command:   models/train-default.sh
# Generates data, trains a tokenizer, trains a small qwen2-layout model from scratch, exports it to
# models/r1sharp-tiny-arith.gguf and evaluates it on held-out problems. Every step is seeded.
# Knobs (environment): SEED (1), WORK (/tmp/r1-tiny-arith: data, tokenizer, checkpoints), STEPS (optimizer steps),
# ROWS (training problems), KINDS, MIN_DIGITS, MAX_DIGITS (problems, see `r1 data arithmetic --help`), VOCAB, THREADS (2),
# EVAL_LIMIT (held-out problems evaluated), OUT (the exported model).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
SEED=${SEED:-1}
WORK=${WORK:-/tmp/r1-tiny-arith}
STEPS=${STEPS:-3000}
ROWS=${ROWS:-20000}
KINDS=${KINDS:-add}
MIN_DIGITS=${MIN_DIGITS:-2}
MAX_DIGITS=${MAX_DIGITS:-3}
VOCAB=${VOCAB:-512}
THREADS=${THREADS:-2}
EVAL_LIMIT=${EVAL_LIMIT:-200}
OUT=${OUT:-models/r1sharp-tiny-arith.gguf}
mkdir -p "$WORK"
start=$(date +%s)
say() { echo "[$(( $(date +%s) - start ))s] $*" >&2; }

say "1/6 tokenizer corpus"
./r1 data arithmetic --count 6000 --seed $((SEED + 100)) --format plain --out "$WORK/corpus.txt"
say "2/6 tokenizer (byte-level BPE, R1's special tokens and R1-Distill's chat template)"
./r1 tokenizer train --corpus "$WORK/corpus.txt" --vocab-size "$VOCAB" --out "$WORK/tok.gguf"
say "3/6 training and held-out data (prompts rendered with the tokenizer's chat template)"
./r1 data arithmetic --count "$ROWS" --seed "$SEED" --kinds "$KINDS" --min-digits "$MIN_DIGITS" --max-digits "$MAX_DIGITS" --template "$WORK/tok.gguf" --out "$WORK/train.jsonl"
./r1 data arithmetic --count 300 --seed $((SEED + 1000)) --kinds "$KINDS" --min-digits "$MIN_DIGITS" --max-digits "$MAX_DIGITS" --split test --out "$WORK/test.jsonl"
cp models/r1sharp-tiny-arith.config.json "$WORK/config.json"   # its "tokenizer" path is relative: $WORK/tok.gguf
say "4/6 training from scratch ($STEPS steps)"
rm -rf "$WORK/run"
./r1 train sft --config "$WORK/config.json" --data "$WORK/train.jsonl" --seed "$SEED" --threads "$THREADS" \
    --steps "$STEPS" --batch-size 16 --lr 3e-3 --lr-schedule constant --warmup-steps 30 \
    --adam-betas 0.9,0.95 --weight-decay 0.01 --max-grad-norm 1 --save-every 25 \
    --log "$WORK/train-log.jsonl" --out "$WORK/run"
say "5/6 export"
./r1 export "$WORK/run" --out "$OUT" --type f16
say "6/6 held-out evaluation (greedy, exact final answer)"
./r1 eval --model "$OUT" --data "$WORK/test.jsonl" --limit "$EVAL_LIMIT" --k 1 --temp 0 --json | tee "$WORK/eval.json"
say "done: $OUT"
