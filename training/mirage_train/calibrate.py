"""Step "calibrate": scores the TypeScript-made evaluation crops of the val split with the ONNX
model, aggregates z per image × variant as serving does (the mean logit of the textured crops, each
clipped to ±crop_logit_clip; an image whose crops are all flat is not read, and counted), fits Platt scaling
pAi = sigmoid(a·z + b) and picks the band thresholds, pooled over every variant.

Platt is fit class-balanced (each class weighs half): pAi is then the evidence read at even prior
odds, not at val's share of AI images (about a third), which is an accident of how the dataset was
collected and says nothing about a marketplace's uploads. pAi = 0.5 is the point where the pixels
favour neither class, which is what balanced accuracy and the AI/real label at 0.5 need. The band
thresholds are quantiles of val's reals and AIs, so they select the same images either way.
Those quantiles sit in the tails of a small split, so the card also says how firm they are
(thresholds.interval95: a bootstrap over val images, see band_intervals).

A second Platt fit reads one crop alone (cropCalibration): a single crop's logit is far noisier
than the mean of 16, so the image calibration would make it overconfident (the reasoner's
consistency and confirmation read crops one by one); it is fit on textured crops, the only ones
the reasoner reads.

    python -m mirage_train.calibrate --eval work/eval-val --model ../models/triage/v11/model.onnx --out work/model/calibration.json
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from sklearn.linear_model import LogisticRegression

from .config import CONFIG
from .crops import normalise
from .metrics import F64, TARGETS, bands, choose_bands, settles_band, summary
from .texture import stored_rms, textured, textured_mean

BOOTSTRAP_REPLICATES = 2000


def score_crops(model: Path, crops: np.ndarray, threads: int, batch: int = 64) -> F64:
    """Per-crop logits of uint8 crops [M, S, S, 3]."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    out = [session.run(None, {"input": normalise(np.asarray(crops[i : i + batch]))})[0][:, 0] for i in range(0, len(crops), batch)]
    return np.concatenate(out).astype(np.float64)


def image_groups(eval_dir: Path) -> tuple[dict[tuple[int, str], list[int]], dict[tuple[int, str], dict[str, str]]]:
    """The rows of crops.csv (= rows of crops.npy) of each image × variant, and that image's row."""
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    meta: dict[tuple[int, str], dict[str, str]] = {}
    with open(eval_dir / "crops.csv", newline="") as f:
        for row_index, row in enumerate(csv.DictReader(f)):
            key = (int(row["image"]), row["variant"])
            groups[key].append(row_index)
            meta[key] = row
    return groups, meta


def image_logits(eval_dir: Path, model: Path, threads: int) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """One record per image × variant that the model reads: z (mean logit of its textured crops),
    label, source, variant, the textured crops' logits, and z over every crop (for comparison);
    and the images × variants whose crops are all flat (not read)."""
    crops = np.load(eval_dir / "crops.npy", mmap_mode="r")
    logits = score_crops(model, crops, threads)
    rms = stored_rms(crops)
    groups, meta = image_groups(eval_dir)
    records, unread = [], []
    for key, rows in groups.items():
        m = meta[key]
        mask = textured(rms[rows], CONFIG.flat_residual_rms)
        record = {"image": key[0], "variant": key[1], "path": m["path"], "label": 1 if m["label"] == "ai" else 0, "source": m["source"]}
        z = textured_mean(logits[rows], mask, CONFIG.crop_logit_clip)
        if z is None:
            unread.append(record)
            continue
        records.append({**record, "z": z, "zAllCrops": float(logits[rows].mean()), "crops": len(rows), "texturedCrops": int(mask.sum()),
                        "cropLogits": [round(float(v), 4) for v in logits[rows][mask]]})
    return records, unread


def fit_platt(z: F64, y: np.ndarray) -> dict[str, str | float | int]:
    """Class-balanced Platt scaling of logits z: {method, classWeight, a, b, samples}."""
    platt = LogisticRegression(C=1e6, max_iter=1000, class_weight="balanced").fit(z[:, None], y)
    return {"method": "platt", "classWeight": "balanced", "a": round(float(platt.coef_[0, 0]), 6),
            "b": round(float(platt.intercept_[0]), 6), "samples": int(len(z))}


def band_intervals(p: F64, y: npt.NDArray[np.int64], image: npt.NDArray[np.int64], pixels_only: npt.NDArray[np.bool_],
                   settles: npt.NDArray[np.bool_], replicates: int, seed: int) -> dict[str, object]:
    """How firm the bands are. The thresholds are extreme quantiles (1 % of reals, 2 % of AIs) of a
    small split in which every image brings all its variants, so a handful of hard images set them
    (training/README.md, "A few val images set the bands"). Percentile bootstrap over val images,
    AI and real images resampled apart, each bringing all its records: the 95 % intervals of both
    thresholds re-chosen on each resample, and of the escalation they give there (pooled, and on the
    pixels-only records alone)."""
    rng = np.random.default_rng(seed)
    rows_of: dict[int, list[int]] = defaultdict(list)
    for row, owner in enumerate(image):
        rows_of[int(owner)].append(row)
    groups = [[np.array(rows) for rows in rows_of.values() if y[rows[0]] == label] for label in (0, 1)]
    drawn: dict[str, list[float]] = {"likelyAi": [], "likelyReal": [], "escalationRate": [], "escalationRatePixelsOnly": []}
    for _ in range(replicates):
        pick = np.concatenate([group[i] for group in groups for i in rng.integers(0, len(group), len(group))])
        pp, yy = p[pick], y[pick]
        likely_ai, likely_real, _ = choose_bands(pp, yy)
        drawn["likelyAi"].append(likely_ai)
        drawn["likelyReal"].append(likely_real)
        _, _, uncertain = bands(pp, likely_ai, likely_real, settles[pick])
        drawn["escalationRate"].append(float(uncertain.mean()))
        drawn["escalationRatePixelsOnly"].append(float(uncertain[pixels_only[pick]].mean()))
    return {"method": "percentile bootstrap over val images (AI and real resampled apart, each with all its variants); "
                      "thresholds re-chosen on each resample",
            "replicates": replicates, "seed": seed,
            **{k: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)] for k, v in drawn.items()}}


def main() -> None:
    """Writes calibration.json: Platt parameters, thresholds, val metrics per variant and source."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    records, unread = image_logits(args.eval, args.model, args.threads)
    z = np.array([r["z"] for r in records], dtype=np.float64)
    y = np.array([r["label"] for r in records], dtype=np.int64)
    calibration = fit_platt(z, y)
    a, b = float(calibration["a"]), float(calibration["b"])
    p = 1.0 / (1.0 + np.exp(-(a * z + b)))
    crop_z = np.array([v for r in records for v in r["cropLogits"]], dtype=np.float64)
    crop_y = np.array([r["label"] for r in records for _ in r["cropLogits"]], dtype=np.int64)
    likely_ai, likely_real, strict = choose_bands(p, y)
    image = np.array([r["image"] for r in records], dtype=np.int64)
    pixels_only = np.array([r["variant"] == "pixels-only" for r in records])
    settles = np.array([settles_band(int(r["texturedCrops"])) for r in records])

    variants = sorted({str(r["variant"]) for r in records})
    per_variant = {}
    for v in variants:
        mask = np.array([r["variant"] == v for r in records])
        per_variant[v] = summary(p[mask], y[mask], likely_ai, likely_real, settles[mask])
    per_source: dict[str, dict[str, float | int]] = {}
    for s in sorted({str(r["source"]) for r in records}):
        mask = pixels_only & np.array([r["source"] == s for r in records])
        if mask.any():
            ps, ys = p[mask], y[mask]
            decided_ai, decided_real, uncertain = bands(ps, likely_ai, likely_real, settles[mask])
            per_source[s] = {"n": int(mask.sum()), "label": "ai" if ys[0] == 1 else "real",
                             "accuracyAt0.5": round(float(((ps >= 0.5) == (ys == 1)).mean()), 4),
                             "likelyAi": int(decided_ai.sum()), "uncertain": int(uncertain.sum()),
                             "likelyReal": int(decided_real.sum())}
    out = {
        "split": "val",
        "calibration": {**calibration, "variants": variants},
        "cropCalibration": fit_platt(crop_z, crop_y),
        "thresholds": {"likelyAi": likely_ai, "likelyReal": likely_real, "strictLikelyReal": strict, "targets": TARGETS,
                       "interval95": band_intervals(p, y, image, pixels_only, settles, BOOTSTRAP_REPLICATES, CONFIG.seed)},
        "pooled": summary(p, y, likely_ai, likely_real, settles),
        "perVariant": per_variant,
        "perSourcePixelsOnly": per_source,
        "aggregation": {"method": "mean-logit-textured", "flatResidualRms": CONFIG.flat_residual_rms, "logitClip": CONFIG.crop_logit_clip,
                        "flatCrops": int(sum(int(r["crops"]) - int(r["texturedCrops"]) for r in records)),
                        "crops": int(sum(int(r["crops"]) for r in records)), "unreadImages": unread},
        "records": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: out[k] for k in ("calibration", "cropCalibration", "thresholds", "pooled", "aggregation")}, indent=1))
    for v, m in per_variant.items():
        print(f"{v:12s} {json.dumps(m)}")


if __name__ == "__main__":
    main()
