#!/usr/bin/env bash
# Long fuzz run of the GGUF reader, model loaders, tokenizer and Jinja interpreter (see bench/fuzz/Program.cs).
#   bench/fuzz/run.sh --minutes 10 [--seed S] [--targets gguf,model,vocab,text,jinja] [--case-timeout 10] [--out DIR]
# Exit 0: nothing found. Findings (inputs) are saved under artifacts/fuzz/ (or --out); a case that kills the process
# (a stack overflow cannot be caught in .NET) is named from the case file the run writes before every case.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="artifacts/fuzz"
for ((i = 1; i <= $#; i++)); do [ "${!i}" = "--out" ] && { j=$((i + 1)); out="${!j}"; }; done
dotnet build -c Release bench/fuzz/R1Sharp.Bench.Fuzz.csproj -v quiet --nologo >/dev/null || { echo "fuzz: build failed" >&2; exit 2; }
dotnet "artifacts/bin/R1Sharp.Bench.Fuzz/release/R1Sharp.Bench.Fuzz.dll" --out "$out" "$@"
rc=$?
if [ $rc -gt 1 ] && [ -f "$out/current-case.txt" ]; then
  echo "fuzz: the process died (exit $rc) in $(cat "$out/current-case.txt"): replay it with FuzzRunner.Replay" >&2
fi
exit $rc
