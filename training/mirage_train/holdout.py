"""Step "holdout": how the recipe reads sources it never saw. Each fold leaves one group of sources
out of training, fits the train step's probe recipe (train.fit_probe) on the frozen ImageNet
features of every other source's training crops, and scores the left-out images — their train- and
val-split images, pixels-only crops made by the serving code — with it. Test is never read.

Val shares its sources with train, so val numbers say how the model reads new images of generators
and cameras it was trained on; a marketplace also sees generators that came out after training.
This step estimates that. It measures the frozen-trunk probe (the train step's net, before
fine-tuning): fine-tuning the last stages once per fold would cost 17 min each, and the shipped
trunks were fine-tuned on every source, so scoring left-out sources with them would leak.

Sources that share a generator or a benchmark leave together (HOLDOUT_GROUPS), else the fold would
still train on the same generator under another source name.

    python -m mirage_train.holdout --work work/model --decoded work/decoded \\
        --eval work/eval-train-pixels --eval work/eval-val --out work/model/holdout.json
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from .config import CONFIG
from .data import read_index
from .model import TriageNet, normalise
from .texture import clipped_mean, stored_rms, textured
from .train import TRAIN_FEATURES, Probe, build_net, fit_probe, seed_everything

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

# Sources that leave together: one generator (gpt-4o), one GAN-detection benchmark (its fakes and
# its reals are crops of the same datasets), the camera sample files of two metadata libraries, and
# three repositories of two to nine images each. Every other source is a fold of its own.
HOLDOUT_GROUPS: dict[str, tuple[str, ...]] = {
    "gpt-4o": ("awesome-gpt4o-cases", "songguoxs-gpt4o"),
    "gan-benchmarks": ("grip-ganimagedetection", "grip-ganimagedetection-real", "cnndetection-examples", "cnndetection-examples-real"),
    "metadata-library-samples": ("metadata-extractor-images", "exiv2-testdata"),
    "small-generator-repos": ("kandinsky3-repo", "xlabs-xflux", "infinity-repo"),
}
GROUP_OF = {source: group for group, sources in HOLDOUT_GROUPS.items() for source in sources}
# The probe's logit as shipped (linear and MLP mixed), and each half alone.
PROBE_PARTS = ("shipped", "linear", "mlp")


def fold_of(source: str) -> str:
    """The fold a source leaves in."""
    return GROUP_OF.get(source, source)


@dataclass(frozen=True)
class EvalImage:
    """One image that can be left out: its pixels-only crops' frozen features."""

    split: str
    path: str
    label: int
    source: str
    features: F32


@torch.no_grad()
def eval_images(net: TriageNet, eval_dir: Path, split_of: dict[str, str], batch: int = 64) -> tuple[list[EvalImage], list[str]]:
    """The pixels-only images of an export-eval-crops folder, with their textured crops' frozen
    features; and the paths of those whose crops are all flat (not read, as serving does)."""
    with open(eval_dir / "crops.csv", newline="") as f:
        rows = [(i, r) for i, r in enumerate(csv.DictReader(f)) if r["variant"] == "pixels-only"]
    if not rows:
        raise ValueError(f"{eval_dir}: no pixels-only crops")
    crops = np.load(eval_dir / "crops.npy", mmap_mode="r")
    index = np.array([i for i, _ in rows])
    features = np.concatenate([net.backbone(normalise(torch.from_numpy(np.asarray(crops[index[s : s + batch]])))).numpy()
                               for s in range(0, len(index), batch)])
    by_image: dict[str, list[int]] = {}
    for k, (_, r) in enumerate(rows):
        by_image.setdefault(r["image"], []).append(k)
    rms = stored_rms(crops, index)
    images, unread = [], []
    for ks in by_image.values():
        r = rows[ks[0]][1]
        split = split_of[r["path"]]
        if split not in ("train", "val"):
            raise ValueError(f"{eval_dir}: {r['path']} is in split {split}; the holdout reads train and val only")
        # Read as serving reads it: the textured crops only; an image with none is not read.
        kept = np.array(ks)[textured(rms[ks], CONFIG.flat_residual_rms)]
        if len(kept) > 0:
            images.append(EvalImage(split, r["path"], 1 if r["label"] == "ai" else 0, r["source"], features[kept]))
        else:
            unread.append(r["path"])
    return images, unread


# A fold worker's training set, loaded once per worker process (init_worker).
_training: tuple[F32, npt.NDArray[np.int64], npt.NDArray[np.str_], npt.NDArray[np.str_]] | None = None


def init_worker(features: Path, labels: npt.NDArray[np.int64], sources: npt.NDArray[np.str_], crop_fold: npt.NDArray[np.str_]) -> None:
    """Worker set-up: the training crops' features (memory-mapped), labels, sources and folds."""
    global _training
    _training = (np.load(features, mmap_mode="r"), labels, sources, crop_fold)


def fit_fold(fold: str) -> tuple[str, Probe, int]:
    """The probe fitted on every training crop outside `fold`, on one BLAS thread: the MLPs'
    200-row batches gain little from a second thread, so two folds at once finish sooner."""
    if _training is None:
        raise RuntimeError("fit_fold runs in a worker made by init_worker")
    features, labels, sources, crop_fold = _training
    keep = crop_fold != fold
    with threadpool_limits(1):
        return fold, fit_probe(np.asarray(features[keep]), labels[keep], sources[keep], CONFIG), int(keep.sum())


def probe_parts(probe: Probe, features: F32) -> dict[str, float]:
    """One image's logit as serving aggregates its crops (clipped mean): as shipped, linear half alone, MLP half alone."""
    linear, mlp = probe.parts(features)
    clip = CONFIG.crop_logit_clip
    return {"shipped": clipped_mean(probe.mix(linear, mlp), clip), "linear": clipped_mean(linear, clip), "mlp": clipped_mean(mlp, clip)}


@torch.no_grad()
def seen_logit(net: TriageNet, features: F32) -> float:
    """The image's logit by the train step's net (its probe saw every training source), crops aggregated as serving does."""
    return clipped_mean(net.features_logit(torch.from_numpy(features))[:, 0].numpy().astype(np.float64), CONFIG.crop_logit_clip)


def score_image(fold: str, probe: Probe, net: TriageNet, image: EvalImage) -> dict[str, object]:
    """One left-out image's record: its logits by the fold's probe (and, for val, by the train step's)."""
    record: dict[str, object] = {"fold": fold, "split": image.split, "path": image.path, "label": image.label,
                                 "source": image.source, "z": probe_parts(probe, image.features)}
    if image.split == "val":
        # The same image read by the train step's probe, which saw its source.
        record["zSourceSeen"] = seen_logit(net, image.features)
    return record


def fold_summary(fold: str, train_crops: int, records: list[dict[str, object]]) -> dict[str, object]:
    """A fold's line in the card: what it left out and how the shipped probe mix read it at z = 0."""
    z = np.array([r["z"]["shipped"] for r in records])  # type: ignore[index]
    y = np.array([r["label"] for r in records])
    return {"fold": fold, "sources": sorted({str(r["source"]) for r in records}), "trainCrops": train_crops,
            "real": int((y == 0).sum()), "ai": int((y == 1).sum()),
            "accuracyReal": round(float((z[y == 0] < 0).mean()), 4) if (y == 0).any() else None,
            "accuracyAi": round(float((z[y == 1] >= 0).mean()), 4) if (y == 1).any() else None,
            "meanZ": round(float(z.mean()), 3)}


def metrics(z: F64, labels: npt.NDArray[np.int64]) -> dict[str, float | int]:
    """n, AUROC, and at z = 0 (the class-balanced probe's boundary): balanced accuracy, FPR on real, recall on AI."""
    ai = labels == 1
    fpr = float((z[~ai] >= 0).mean())
    recall = float((z[ai] >= 0).mean())
    return {"n": int(len(z)), "auroc": round(float(roc_auc_score(labels, z)), 4), "balancedAccuracy": round((recall + 1 - fpr) / 2, 4),
            "fprReal": round(fpr, 4), "recallAi": round(recall, 4)}


def main() -> None:
    """Writes holdout.json: per fold, pooled over every left-out image, and val read both ways."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--decoded", type=Path, required=True)
    parser.add_argument("--eval", type=Path, action="append", required=True, help="export-eval-crops folder with pixels-only crops (repeatable)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2, help="torch threads for the features")
    parser.add_argument("--workers", type=int, default=2, help="folds fitted at once, one BLAS thread each")
    args = parser.parse_args()
    config = CONFIG
    seed_everything(config.seed)
    torch.set_num_threads(args.threads)
    started = time.time()

    items = read_index(args.decoded)
    split_of = {item.path: item.split for item in items}
    data = np.load(args.work / "train-crops.npz")
    labels, sources = data["labels"], data["source"]
    # The train step's net: ImageNet trunks and the probe fitted on every training source.
    net = build_net(config, pretrained=False)
    net.load_state_dict(torch.load(args.work / "triage.pt", weights_only=True))
    net.eval()
    features_path = args.work / TRAIN_FEATURES
    features = np.load(features_path, mmap_mode="r")
    if len(features) != len(labels):
        raise RuntimeError(f"{TRAIN_FEATURES} holds {len(features)} crops, train-crops.npz {len(labels)}: rerun the train step")
    crop_fold = np.array([fold_of(str(source)) for source in sources])
    read = [eval_images(net, d, split_of) for d in args.eval]
    images = [image for found, _ in read for image in found]
    unread = [path for _, paths in read for path in paths]
    print(f"features: {len(features)} training crops, {len(images)} images to leave out ({time.time() - started:.0f} s)", flush=True)

    records: list[dict[str, object]] = []
    folds = []
    fold_names = sorted({fold_of(image.source) for image in images})
    # "spawn": the workers never inherit torch's thread pools.
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker,
                             initargs=(features_path, labels, sources, crop_fold)) as pool:
        for fold, probe, kept in pool.map(fit_fold, fold_names):
            left_out = [image for image in images if fold_of(image.source) == fold]
            fold_records = [score_image(fold, probe, net, image) for image in left_out]
            records.extend(fold_records)
            folds.append(fold_summary(fold, kept, fold_records))
            print(json.dumps(folds[-1]), f"({time.time() - started:.0f} s)", flush=True)

    y = np.array([r["label"] for r in records], dtype=np.int64)
    pooled = {part: metrics(np.array([r["z"][part] for r in records]), y) for part in PROBE_PARTS}  # type: ignore[index]
    val = [r for r in records if r["split"] == "val"]
    yv = np.array([r["label"] for r in val], dtype=np.int64)
    out = {
        "protocol": ("leave-source-out on train + val images (test never read): per fold, the train step's probe recipe refit on the "
                     "frozen ImageNet features of the other sources' training crops; left-out images scored pixels-only (JPEG q90, "
                     "serving-made crops), image score = mean logit of its textured crops (serving's rule; an image with none is not "
                     "read: unreadImages), labels at z = 0"),
        "groups": {k: list(v) for k, v in HOLDOUT_GROUPS.items()},
        "pooled": pooled,
        "val": {"sourcesSeen": metrics(np.array([r["zSourceSeen"] for r in val]), yv),
                "sourcesLeftOut": metrics(np.array([r["z"]["shipped"] for r in val]), yv)},  # type: ignore[index]
        "folds": folds,
        "unreadImages": unread,
        "config": config.as_dict(),
        "trainCrops": int(len(labels)),
        "seconds": round(time.time() - started, 1),
        "records": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: out[k] for k in ("pooled", "val", "seconds")}, indent=1))


if __name__ == "__main__":
    main()
