#!/usr/bin/env bash
# Training speed, R1Sharp vs PyTorch (CPU, 2 threads) in the same run, alternating to share the machine's noise.
# PyTorch needs: apt-get install -y python3-torch libopenblas0-pthread (Debian's python3 at /usr/bin/python3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py=/usr/bin/python3
dotnet build -c Release "$root/bench/train-speed/TrainSpeed.csproj" -v quiet --nologo >/dev/null
for round in 1 2; do
  echo "== round $round"
  dotnet "$root/artifacts/bin/TrainSpeed/release/TrainSpeed.dll" --threads 2 --steps 8
  if $py -c "import torch" 2>/dev/null; then
    echo "PyTorch $($py -c 'import torch; print(torch.__version__)'):"
    $py "$root/../shared/bench/torch_train_speed.py" 2>/dev/null || $py /work/shared/bench/torch_train_speed.py
  else
    echo "PyTorch not available (python3-torch not installed)"
  fi
done
