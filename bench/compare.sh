#!/usr/bin/env bash
# This application against PyTorch on this machine, same work on both sides, in one run:
#   training  GPT-2 small (random weights), one 8x256 forward/backward pass per step + AdamW, MLE and EMO
#   sampling  GPT-2 small, 8 (then 1) prompts of 256 tokens + 32 new tokens, KV cache, prefill included
# Installs Debian's python3-torch (CPU) and OpenBLAS if missing. Each side writes its figures as JSON;
# this script reads only those files (never console text) and ends with one line per figure:
#   ratio train_mle X            our MLE tokens/s / PyTorch's
#   ratio train_emo_over_mle X   our EMO step time / our MLE step time (PyTorch's own is printed above it)
#   ratio rss X                  our peak RSS of the MLE step / PyTorch's
#   ratio sample_b8 X            our sampling tokens/s / PyTorch's, batch 8
#   ratio sample_b1 X            the same, batch 1
# Usage: bench/compare.sh [--steps N]   (N training steps per objective, the first is a warm-up; default 4)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STEPS=4
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="$2"; shift 2;;
    *) echo "usage: bench/compare.sh [--steps N]" >&2; exit 2;;
  esac
done
[[ "$STEPS" =~ ^[0-9]+$ && "$STEPS" -ge 2 ]] || { echo "error: --steps $STEPS: need a whole number >= 2; the first step is a warm-up" >&2; exit 2; }
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "installing Debian's python3-torch (CPU)..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
fi
# Debian links torch against the generic reference BLAS; OpenBLAS becomes libblas.so.3 once installed
if ! ldconfig -p | grep -q libopenblas; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
fi
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
TRAIN=(--batch 8 --micro_batch 8 --length 256 --steps "$STEPS" --objectives mle,emo)

echo "== ours: training" >&2
"$ROOT/run.sh" bench --what train --arch gpt2-small "${TRAIN[@]}" --json "$OUT/ours_train.json" >&2
echo "== pytorch: training" >&2
/usr/bin/python3 "$ROOT/bench/train_step_pytorch.py" "${TRAIN[@]}" --json "$OUT/torch_train.json" >&2
for b in 8 1; do
  echo "== ours: sampling, batch $b" >&2
  "$ROOT/run.sh" bench --what generate --arch gpt2-small --batch "$b" --length 256 --new_tokens 32 --json "$OUT/ours_sample_b$b.json" >&2
  echo "== pytorch: sampling, batch $b" >&2
  (cd "$ROOT/bench" && /usr/bin/python3 sample_pytorch.py --batch "$b" --length 256 --new_tokens 32 --json "$OUT/torch_sample_b$b.json") >&2
done

/usr/bin/python3 - "$OUT" <<'PY'
import json, os, sys
d = sys.argv[1]
load = lambda name: json.load(open(os.path.join(d, name)))
ours, torch = load("ours_train.json"), load("torch_train.json")
s8, t8, s1, t1 = (load(f) for f in ("ours_sample_b8.json", "torch_sample_b8.json", "ours_sample_b1.json", "torch_sample_b1.json"))
print()
print("GPT-2 small, random weights, 2 threads per side")
print(f"  training 8x256 MLE    ours {ours['mle']['tokens_per_s']:7.1f} tokens/s, peak RSS {ours['mle']['peak_rss_mb']} MB"
      f" | pytorch {torch['mle']['tokens_per_s']:7.1f} tokens/s, peak RSS {torch['mle']['peak_rss_mb']} MB")
print(f"  training 8x256 EMO    ours {ours['emo']['tokens_per_s']:7.1f} tokens/s | pytorch {torch['emo']['tokens_per_s']:7.1f} tokens/s"
      f" (pytorch EMO/MLE step time {torch['emo']['seconds_per_step'] / torch['mle']['seconds_per_step']:.3f})")
print(f"  our RSS by step (MLE) {ours['mle']['rss_mb_by_step']}")
print(f"  sampling batch 8      ours {s8['tokens_per_s']:6.2f} tokens/s ({s8['seconds']:.1f} s) | pytorch {t8['tokens_per_s']:6.2f} tokens/s ({t8['seconds']:.1f} s)")
print(f"  sampling batch 1      ours {s1['tokens_per_s']:6.2f} tokens/s ({s1['seconds']:.1f} s) | pytorch {t1['tokens_per_s']:6.2f} tokens/s ({t1['seconds']:.1f} s)")
print(f"ratio train_mle {ours['mle']['tokens_per_s'] / torch['mle']['tokens_per_s']:.3f}")
print(f"ratio train_emo_over_mle {ours['emo']['seconds_per_step'] / ours['mle']['seconds_per_step']:.3f}")
print(f"ratio rss {ours['mle']['peak_rss_mb'] / torch['mle']['peak_rss_mb']:.3f}")
print(f"ratio sample_b8 {s8['tokens_per_s'] / t8['tokens_per_s']:.3f}")
print(f"ratio sample_b1 {s1['tokens_per_s'] / t1['tokens_per_s']:.3f}")
PY
