#!/usr/bin/env bash
# The same GPT-2-small training step in this application and in PyTorch, on this machine:
# tokens/s of each and the ratio. Installs Debian's python3-torch (CPU) if it is missing.
#   bench/compare.sh [--steps N] [--objectives mle,emo]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STEPS=4; OBJECTIVES=mle,emo
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="$2"; shift 2;;
    --objectives) OBJECTIVES="$2"; shift 2;;
    *) echo "usage: bench/compare.sh [--steps N] [--objectives mle,emo]" >&2; exit 2;;
  esac
done
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "installing Debian's python3-torch (CPU)..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
fi
# Debian links torch against the generic reference BLAS; OpenBLAS becomes libblas.so.3 once installed
if ! ldconfig -p | grep -q libopenblas; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
fi
ARGS=(--batch 8 --micro_batch 2 --length 256 --steps "$STEPS" --objectives "$OBJECTIVES")
ours=$("$ROOT/run.sh" bench --what train --arch gpt2-small "${ARGS[@]}" | tee /dev/stderr | grep -E '^  (mle|emo)')
theirs=$(/usr/bin/python3 "$ROOT/bench/train_step_pytorch.py" "${ARGS[@]}" | tee /dev/stderr)
echo
echo "GPT-2 small, batch 8x256 (4 micro-batches of 2x256), $(nproc) cores:"
for o in ${OBJECTIVES//,/ }; do
  a=$(awk -v o="$o" '$1 == o {print $4}' <<<"$ours")
  b=$(awk -v o="$o" '$2 == o {print $5}' <<<"$theirs")
  awk -v o="$o" -v a="$a" -v b="$b" 'BEGIN {printf "  %-6s ours %7.1f tokens/s   pytorch %7.1f tokens/s   ratio %.2f\n", o, a, b, a / b}'
done
