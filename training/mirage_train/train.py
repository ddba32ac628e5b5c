"""Step "train": augmented training crops → frozen truncated backbone features → logistic
regression on standardised features (a multi-stage linear probe) → TriageNet weights.

    python -m mirage_train.train --decoded work/decoded --work work/model
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from .cache import save_npz, train_crops
from .config import CONFIG, ModelConfig
from .data import read_index
from .features import extract
from .model import STAGE_ENDS, Backbones, TriageNet, TruncatedLite, load_backbone


def seed_everything(seed: int) -> None:
    """Fixed seeds and deterministic kernels: a rebuild reproduces the card."""
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def build_net(config: ModelConfig, pretrained: bool) -> TriageNet:
    """The architecture of the card (pretrained or randomly initialised backbone)."""
    parts = [TruncatedLite(load_backbone(b.name, pretrained), STAGE_ENDS[b.name], b.last_stage, b.pooled_stages, b.head_mean)
             for b in config.backbones]
    return TriageNet(Backbones(parts))


def fit_probe(features: np.ndarray, labels: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, np.ndarray, LogisticRegression]:
    """Standardisation statistics and an L2 logistic regression (classes weighted alike) on the standardised features."""
    mean = features.mean(axis=0)
    std = features.std(axis=0) + 1e-6
    probe = LogisticRegression(C=c, max_iter=5000, class_weight="balanced", random_state=seed).fit((features - mean) / std, labels)
    return mean, std, probe


def main() -> None:
    """Trains and saves work/model/triage.pt + train.json."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--decoded", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    config = CONFIG
    seed_everything(config.seed)
    torch.set_num_threads(args.threads)
    started = time.time()

    items = read_index(args.decoded, "train")
    crops, labels, owner = train_crops(items, config.crop_size, config.train_draws, config.seed)
    save_npz(args.work / "train-crops.npz", crops=crops, labels=labels, owner=owner)
    net = build_net(config, pretrained=True).eval()
    features = extract(net.backbone, crops)
    mean, std, probe = fit_probe(features, labels, config.probe_c, config.seed)
    with torch.no_grad():
        net.feat_mean.copy_(torch.from_numpy(mean.astype(np.float32)))
        net.feat_std.copy_(torch.from_numpy(std.astype(np.float32)))
        net.head.weight.copy_(torch.from_numpy(probe.coef_.astype(np.float32)))
        net.head.bias.copy_(torch.from_numpy(probe.intercept_.astype(np.float32)))
    # The assembled net must reproduce the probe's decision function on the training features.
    with torch.no_grad():
        check = net.head((torch.from_numpy(features) - net.feat_mean) / net.feat_std).numpy().ravel()
    drift = float(np.abs(check - probe.decision_function((features - mean) / std)).max())
    if drift > 1e-3:
        raise RuntimeError(f"assembled head disagrees with the probe by {drift}")
    torch.save(net.state_dict(), args.work / "triage.pt")
    summary = {
        "images": len(items),
        "ai": int(sum(i.label for i in items)),
        "real": int(sum(1 - i.label for i in items)),
        "crops": int(len(crops)),
        "featureDim": int(features.shape[1]),
        "trainCropAccuracy": float(probe.score((features - mean) / std, labels)),
        "seconds": round(time.time() - started, 1),
        "config": config.as_dict(),
    }
    (args.work / "train.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
