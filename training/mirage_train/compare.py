"""Step "compare": the shipped design (pretrained backbones, linear + MLP probe) against the same
architecture trained from scratch end-to-end on the same augmented crops, on a fixed CPU budget.
Both are scored on val grid crops re-encoded JPEG q90 in Python (a stand-in for pixels-only, used
only for this comparison) and on the clean decoded val images.

    python -m mirage_train.compare --decoded work/decoded --work work/model
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from .cache import split_grid_crops
from .config import CONFIG
from .data import read_index
from .finetune import FINETUNED_WEIGHTS
from .model import TriageNet, normalise
from .train import build_net, seed_everything


@torch.no_grad()
def image_scores(net: TriageNet, crops: np.ndarray, owner: np.ndarray, images: int) -> np.ndarray:
    """Mean crop logit per image."""
    net.eval()
    logits = np.concatenate([net(normalise(torch.from_numpy(crops[i : i + 64])))[:, 0].numpy() for i in range(0, len(crops), 64)])
    return np.bincount(owner, weights=logits, minlength=images) / np.bincount(owner, minlength=images)


def scores_report(z: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """AUROC and balanced accuracy (at z = 0) of image scores."""
    return {"auroc": round(float(roc_auc_score(labels, z)), 4), "balancedAccuracyAtZero": round(float(balanced_accuracy_score(labels, z > 0)), 4)}


def train_from_scratch(crops: np.ndarray, labels: np.ndarray, steps: int, batch: int, seed: int) -> TriageNet:
    """Same architecture, random initialisation, every weight trained (AdamW, class-balanced loss)."""
    torch.manual_seed(seed)
    net = build_net(CONFIG, pretrained=False)
    optimiser = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    pos_weight = torch.tensor(float((labels == 0).sum()) / float((labels == 1).sum()))
    rng = np.random.default_rng(seed)
    # The fixed standardisation buffers stay at 0/1; batch norm learns the scale instead.
    net.train()
    for _ in range(steps):
        pick = rng.integers(0, len(crops), size=batch)
        x = normalise(torch.from_numpy(crops[pick]))
        y = torch.from_numpy(labels[pick].astype(np.float32))
        optimiser.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x)[:, 0], y, pos_weight=pos_weight)
        loss.backward()
        optimiser.step()
    return net.eval()


def main() -> None:
    """Writes work/model/compare.json."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--decoded", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    seed_everything(CONFIG.seed)
    torch.set_num_threads(args.threads)
    val = read_index(args.decoded, "val")
    labels = np.array([i.label for i in val])
    views = {
        "clean": split_grid_crops(val, CONFIG.crop_size, CONFIG.crop_count, reencode=False),
        "jpeg90": split_grid_crops(val, CONFIG.crop_size, CONFIG.crop_count, reencode=True),
    }
    shipped = build_net(CONFIG, pretrained=False)
    shipped.load_state_dict(torch.load(args.work / FINETUNED_WEIGHTS, weights_only=True))
    train = np.load(args.work / "train-crops.npz")
    started = time.time()
    scratch = train_from_scratch(train["crops"], train["labels"], args.steps, args.batch, CONFIG.seed)
    minutes = round((time.time() - started) / 60, 1)
    out: dict[str, object] = {"split": "val", "protocol": "decoded val images, grid crops; jpeg90 = Python re-encode q90 (pixels-only stand-in)"}
    for name, net in (("shipped", shipped), ("fromScratch", scratch)):
        out[name] = {view: scores_report(image_scores(net, c, o, len(val)), labels) for view, (c, o) in views.items()}
    out["fromScratchBudget"] = {"steps": args.steps, "batch": args.batch, "cropsSeen": args.steps * args.batch, "minutes": minutes, "optimiser": "AdamW lr 2e-3"}
    (args.work / "compare.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
