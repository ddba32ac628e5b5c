#!/usr/bin/env bash
# Refits models/reasoning/forensic-v11/model.json (the forensic reasoner's calibration, thresholds and
# adaptive stopping rule) on the val split, for the pixel model in models/triage/v11. Run after
# training/run.sh whenever the triage model changes (~15 min on 2 cores):
#   training/fit-reasoning.sh [dataset dir, default ../shared/datasets/aigi-v1]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATA="$(cd "${1:-$ROOT/../shared/datasets/aigi-v1}" && pwd)"
WORK="$ROOT/training/work/reasoning"
mkdir -p "$WORK"
npm run build --silent
echo "== deep examinations of val, uncalibrated, clean and every perturbation"
MIRAGE_REASONING_CARD_DIR=none node services/cli/dist/main.js eval --data "$DATA" --split val \
  --protocol pixels-only --perturb all --mode deep --records "$WORK/val-deep.jsonl" --out "$WORK/val-deep.json" >/dev/null
echo "== fit the card"
npx tsx --conditions=@mirage/source training/scripts/fit-reasoning.ts --data "$DATA" \
  --records "$WORK/val-deep.jsonl" --out models/reasoning/forensic-v11/model.json
