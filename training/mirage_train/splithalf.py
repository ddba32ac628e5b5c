"""How well the bands carry to images they were not chosen on: the split-half check that chose v11's
crop-logit clip and judged the trials after it (training/README.md, "Clipping crop logits before the
mean" and "Measured after v11").

`calibrate` picks the band thresholds on all of val and reads them on the same images, so its
escalation is in-sample. Here val's images are split in half at random (real and AI images apart,
each image with all its variants), the thresholds are chosen on one half exactly as `calibrate`
chooses them (`choose_bands`) and read on the other, many times over. An image's z is the mean of its
textured crops' logits, each clipped to ±clip first; z is read through a sigmoid, which bands like
Platt scaling does (the thresholds are quantiles, and both maps keep the order), and a row with
fewer than `min_textured_for_band` textured crops settles no band, as in serving.

    python -m mirage_train.splithalf --calibration work/model/calibration.json [--clip 3 --clip none]

Prints one JSON line per clip: AUROC pooled and pixels-only (in-sample), and the held-out halves'
mean escalation (pooled and pixels-only), FPR on real at LIKELY_AI and misses at LIKELY_REAL.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from .config import CONFIG
from .metrics import F64, bands, choose_bands, settles_band
from .texture import clipped_mean

Mask = npt.NDArray[np.bool_]


def halves(image: npt.NDArray[np.int64], label: npt.NDArray[np.int64], splits: int, seed: int) -> list[Mask]:
    """`splits` masks over the rows: True for the rows of the images drawn into the fitting half
    (half of the real images and half of the AI images, each image with all its rows)."""
    rng = np.random.default_rng(seed)
    owners = np.unique(image)
    label_of = {int(i): int(label[image == i][0]) for i in owners}
    by_class = [np.array([i for i in owners if label_of[int(i)] == c]) for c in (0, 1)]
    return [np.isin(image, np.concatenate([rng.choice(ids, len(ids) // 2, replace=False) for ids in by_class]))
            for _ in range(splits)]


def check(records: list[dict[str, object]], clip: float, splits: int, seed: int) -> dict[str, object]:
    """The split-half reading of val records (calibration.json's) aggregated with `clip`."""
    y = np.array([int(r["label"]) for r in records], dtype=np.int64)
    image = np.array([int(r["image"]) for r in records], dtype=np.int64)
    pixels_only = np.array([r["variant"] == "pixels-only" for r in records])
    settles = np.array([settles_band(int(r["texturedCrops"])) for r in records])
    z = np.array([clipped_mean(np.asarray(r["cropLogits"], dtype=np.float64), clip) for r in records])
    p: F64 = 1.0 / (1.0 + np.exp(-z))
    held: dict[str, list[float]] = {"escalation": [], "escalationPixelsOnly": [], "fprReal": [], "missAi": []}
    for fit in halves(image, y, splits, seed):
        likely_ai, likely_real, _ = choose_bands(p[fit], y[fit])
        read = ~fit
        decided_ai, decided_real, uncertain = bands(p[read], likely_ai, likely_real, settles[read])
        truth = y[read]
        held["escalation"].append(float(uncertain.mean()))
        held["escalationPixelsOnly"].append(float(uncertain[pixels_only[read]].mean()))
        held["fprReal"].append(float(decided_ai[truth == 0].mean()))
        held["missAi"].append(float(decided_real[truth == 1].mean()))
    return {"clip": None if math.isinf(clip) else clip, "rows": len(records), "images": int(len(np.unique(image))),
            "splits": splits, "seed": seed,
            "auroc": round(float(roc_auc_score(y, p)), 4),
            "aurocPixelsOnly": round(float(roc_auc_score(y[pixels_only], p[pixels_only])), 4),
            "heldOut": {k: round(float(np.mean(v)), 4) for k, v in held.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calibration", type=Path, required=True, help="calibration.json written by calibrate (its records)")
    parser.add_argument("--clip", action="append", help=f"crop-logit clip, or none (repeatable; default the config's {CONFIG.crop_logit_clip})")
    parser.add_argument("--splits", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    records = json.loads(args.calibration.read_text())["records"]
    for clip in args.clip or [str(CONFIG.crop_logit_clip)]:
        print(json.dumps(check(records, math.inf if clip == "none" else float(clip), args.splits, args.seed)), flush=True)


if __name__ == "__main__":
    main()
