#!/usr/bin/env bash
# Soak test of `r1 serve`: starts `./r1 serve` (the bundled model unless --model is given) on a free loopback port and
# runs 16-32 concurrent clients for N minutes; see Program.cs for the mix and docs/security.md for results.
#   bench/soak/run.sh [--minutes 10] [--streams 24] [--model FILE.gguf] [--parallel 4] [--ctx 1024] [--seed 1]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/r1" --version >/dev/null   # build r1 first, so its build does not count as soak time
exec dotnet run -c Release --project "$root/bench/soak" -- --r1 "$root/r1" "$@"
