#!/usr/bin/env bash
# The paper's oracle experiment (Table 2) offline on real weights, ~15-20 min on 2 cores.
#   oracle P  = stories260k (pretrained on TinyStories)
#   student Q = stories260k after MLE fine-tuning on PTB (the default run's data): a distribution that
#               differs from P's (news text) and shares its tokenizer; tuning Q on P's samples moves it
#               back towards P, and the objectives differ in how they get there.
# Usage: bench/oracle.sh [OUTPUT_DIR]   (resumable: re-run the same command after an interruption)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/runs/oracle-recipe}"
SHARED="${EMO_SHARED:-$ROOT/../shared}"
cd "$ROOT"

if [[ ! -f "$OUT/student/run.json" ]] || ! grep -q '"finished"' "$OUT/student/run.json"; then
  ./run.sh finetune --objective mle --output_dir "$OUT/student" \
    $([[ -d "$OUT/student" ]] && echo --resume_from_checkpoint latest)
fi

./run.sh oracle --oracle_model "$SHARED/models/stories260k" --model "$OUT/student/best" \
  --objectives mle,emo --seeds 1,2,3 \
  --train_samples 2000 --validation_samples 200 --test_samples 600 --sample_tokens 128 \
  --block_size 128 --per_device_train_batch_size 8 --max_steps 100 --learning_rate 5e-4 --warmup_steps 10 \
  --eval_steps 50 --max_eval_samples 64 \
  --limit 200 --rounds 3 --new_tokens 40 --featurizer sentence --max_perplexity_texts 200 \
  --output_dir "$OUT/experiment"
