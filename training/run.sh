#!/usr/bin/env bash
# Rebuilds models/triage/v11 from a dataset folder: decode → train → fine-tune → export → quantize → eval crops (val) →
# calibrate → compare → leave-source-out → card → onnxruntime-node check. Run from anywhere:
#   training/run.sh [dataset dir, default ../shared/datasets/aigi-v1]
# Env: MIRAGE_TRAIN_PYTHON (default training/.venv/bin/python), MIRAGE_TRIAGE_OUT (where model.onnx and
# model.json go, default models/triage/v11: a trial should write elsewhere), COMPARE=0 skips the from-scratch run,
# HOLDOUT=0 the leave-source-out check (the card then keeps a leaveSourceOut section only from an
# earlier holdout run of the same config and training crops).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATA="$(cd "${1:-$ROOT/../shared/datasets/aigi-v1}" && pwd)"
PY="${MIRAGE_TRAIN_PYTHON:-$ROOT/training/.venv/bin/python}"
WORK="$ROOT/training/work"
OUT="${MIRAGE_TRIAGE_OUT:-$ROOT/models/triage/v11}"
mkdir -p "$OUT"
# tsx resolves @mirage/* to their TypeScript sources (no build needed) with this condition.
TSX=(npx tsx --conditions=@mirage/source)
export PYTHONHASHSEED=0
SIZE=$("$PY" -c "import sys; sys.path.insert(0, 'training'); from mirage_train.config import CONFIG; print(CONFIG.crop_size)")
COUNT=$("$PY" -c "import sys; sys.path.insert(0, 'training'); from mirage_train.config import CONFIG; print(CONFIG.crop_count)")
START=$(date +%s)
step() { echo; echo "== $1 ($(( $(date +%s) - START )) s)"; }

step "decode every manifest image with decodeImage"
"${TSX[@]}" training/scripts/decode-dataset.ts --data "$DATA" --out "$WORK/decoded"

cd "$ROOT/training"
step "train (frozen truncated backbones + linear and MLP probe on augmented crops)"
"$PY" -m mirage_train.train --decoded "$WORK/decoded" --work "$WORK/model"

step "fine-tune the last stage of each backbone with the head"
"$PY" -m mirage_train.finetune --work "$WORK/model"

step "export ONNX, check against torch, measure cost on one thread"
"$PY" -m mirage_train.export --work "$WORK/model" --out "$WORK/model/model-float.onnx"

step "quantize to int8 (the shipped model), check against the float model"
"$PY" -m mirage_train.quantize --work "$WORK/model" --float "$WORK/model/model-float.onnx" --out "$OUT/model.onnx"

cd "$ROOT"
step "evaluation crops of val, made by the serving code (as-uploaded, pixels-only, perturbations)"
"${TSX[@]}" training/scripts/export-eval-crops.ts --data "$DATA" --split val --size "$SIZE" --count "$COUNT" --out "$WORK/eval-val"

cd "$ROOT/training"
step "calibrate (Platt) and choose thresholds on val"
"$PY" -m mirage_train.calibrate --eval "$WORK/eval-val" --model "$OUT/model.onnx" --out "$WORK/model/calibration.json"

if [ "${COMPARE:-1}" != "0" ]; then
  step "compare with the same architecture trained from scratch"
  "$PY" -m mirage_train.compare --decoded "$WORK/decoded" --work "$WORK/model"
fi

if [ "${HOLDOUT:-1}" != "0" ]; then
  cd "$ROOT"
  step "pixels-only crops of train, made by the serving code (for the leave-source-out check)"
  "${TSX[@]}" training/scripts/export-eval-crops.ts --data "$DATA" --split train --size "$SIZE" --count "$COUNT" \
    --variants pixels-only --out "$WORK/eval-train-pixels"
  cd "$ROOT/training"
  step "leave-source-out: the probe recipe on sources it never saw (train + val images)"
  "$PY" -m mirage_train.holdout --work "$WORK/model" --decoded "$WORK/decoded" --eval "$WORK/eval-train-pixels" \
    --eval "$WORK/eval-val" --out "$WORK/model/holdout.json"
fi

step "model card"
"$PY" -m mirage_train.card --work "$WORK/model" --manifest "$DATA/manifest.csv" --out "$OUT/model.json" \
  --minutes "$(( ($(date +%s) - START + 59) / 60 ))"

cd "$ROOT"
step "onnxruntime-node loads the model"
MODEL_DIR="$OUT" node -e "
const ort = await import('onnxruntime-node');
const fs = await import('node:fs');
const dir = process.env.MODEL_DIR;
const card = JSON.parse(fs.readFileSync(dir + '/model.json', 'utf8'));
const s = await ort.InferenceSession.create(dir + '/model.onnx');
const n = card.crops.count, S = card.input.cropSize;
const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(n * 3 * S * S), [n, 3, S, S]) });
if (out.logit.dims.join() !== [n, 1].join()) throw new Error('logit dims ' + out.logit.dims);
console.log('onnxruntime-node ok: inputs', s.inputNames, 'outputs', s.outputNames, 'logit dims', out.logit.dims);
" --input-type=module
step "done"
