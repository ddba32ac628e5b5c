"""Step "train": augmented training crops → frozen truncated backbone features → a probe on the
standardised features (logistic regression mixed with an ensemble of small MLPs) → TriageNet weights.
The same forward pass keeps each crop's frozen prefix for the "finetune" step (split.py).

    python -m mirage_train.train --decoded work/decoded --work work/model
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from .cache import save_npz, train_crops
from .config import CONFIG, ModelConfig
from .data import read_index
from .model import STAGE_ENDS, Backbones, ProbeHead, TriageNet, TruncatedLite, load_backbone
from .split import PREFIXES, forward_split, split_trunks
from .weights import source_weights

# The frozen features of the training crops, row for row with train-crops.npz (read by holdout).
TRAIN_FEATURES = "train-features.npy"


def seed_everything(seed: int) -> None:
    """Fixed seeds and deterministic kernels: a rebuild reproduces the card."""
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def build_net(config: ModelConfig, pretrained: bool) -> TriageNet:
    """The architecture of the card (pretrained or randomly initialised backbone)."""
    parts = [TruncatedLite(load_backbone(b.name, pretrained), STAGE_ENDS[b.name], b.last_stage, b.pooled_stages, b.head_mean)
             for b in config.backbones]
    backbone = Backbones(parts)
    return TriageNet(backbone, ProbeHead(backbone.feature_dim, config.probe_hidden * config.probe_members, config.probe_linear_weight))


@dataclass
class Probe:
    """The fitted probe: standardisation, the linear probe, the MLP members, and how they mix."""

    mean: np.ndarray
    std: np.ndarray
    linear: LogisticRegression
    members: list[MLPClassifier]
    linear_weight: float

    def logits(self, features: np.ndarray) -> np.ndarray:
        """The probe's logit per row of raw features (what the assembled head must reproduce)."""
        return self.mix(*self.parts(features))

    def mix(self, linear: np.ndarray, mlp: np.ndarray) -> np.ndarray:
        """The shipped logit from the two halves `parts` gives."""
        return self.linear_weight * linear + (1.0 - self.linear_weight) * mlp

    def parts(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The two logits it mixes, per row: the linear probe's and the MLP members' mean."""
        x = (features - self.mean) / self.std
        return self.linear.decision_function(x), np.mean([member_logits(m, x) for m in self.members], axis=0)


def fit_probe(features: np.ndarray, labels: np.ndarray, sources: np.ndarray, config: ModelConfig) -> Probe:
    """Standardisation statistics, an L2 logistic regression (classes weighted alike) and
    `probe_members` MLPs (one hidden ReLU layer, L2 alpha, each stopped when accuracy on its own
    random tenth of the crops stops improving; member i seeded seed + i) on the standardised
    features. Averaging members removes the seed noise one MLP has (val AUROC of single members
    0.947-0.956); mixing in the linear probe keeps its balanced accuracy (training/README.md).

    Everything is fitted on one resample of the crops (as many, drawn with replacement and the
    seed) in proportion to their source weights (`source_weights`): sklearn's MLPClassifier takes
    no sample weights, and one resample keeps the two halves on the same data."""
    weights = source_weights(labels, sources, config.source_weight_power)
    pick = np.sort(np.random.default_rng(config.seed).choice(len(labels), size=len(labels), replace=True, p=weights / weights.sum()))
    features, labels = features[pick], labels[pick]
    mean = features.mean(axis=0)
    std = features.std(axis=0) + 1e-6
    x = (features - mean) / std
    linear = LogisticRegression(C=config.probe_c, max_iter=5000, class_weight="balanced", random_state=config.seed).fit(x, labels)
    members = [
        MLPClassifier(hidden_layer_sizes=(config.probe_hidden,), alpha=config.probe_alpha, max_iter=60,
                      early_stopping=True, random_state=config.seed + i).fit(x, labels)
        for i in range(config.probe_members)
    ]
    return Probe(mean, std, linear, members, config.probe_linear_weight)


def member_logits(member: MLPClassifier, x: np.ndarray) -> np.ndarray:
    """One MLP's logit (before its sigmoid) for standardised features x."""
    hidden = np.maximum(x @ member.coefs_[0] + member.intercepts_[0], 0.0)
    return (hidden @ member.coefs_[1] + member.intercepts_[1]).ravel()


def as_tensor(values: np.ndarray | list[float]) -> torch.Tensor:
    """float32 tensor of numpy values (the net's dtype)."""
    return torch.from_numpy(np.asarray(values, dtype=np.float32))


def assemble_head(net: TriageNet, probe: Probe) -> None:
    """Writes the probe into the net: standardisation, the linear probe, and the MLP members as one
    MLP with their hidden units side by side and each output weight divided by the member count, so
    that its logit is the mean of the members' logits."""
    k = len(probe.members)
    with torch.no_grad():
        net.feat_mean.copy_(as_tensor(probe.mean))
        net.feat_std.copy_(as_tensor(probe.std))
        net.head.linear.weight.copy_(as_tensor(probe.linear.coef_))
        net.head.linear.bias.copy_(as_tensor(probe.linear.intercept_))
        net.head.mlp[0].weight.copy_(as_tensor(np.concatenate([m.coefs_[0].T for m in probe.members])))
        net.head.mlp[0].bias.copy_(as_tensor(np.concatenate([m.intercepts_[0] for m in probe.members])))
        net.head.mlp[2].weight.copy_(as_tensor(np.concatenate([m.coefs_[1].ravel() for m in probe.members])[None, :] / k))
        net.head.mlp[2].bias.fill_(float(np.mean([m.intercepts_[1][0] for m in probe.members])))


def main() -> None:
    """Trains and saves work/model/triage.pt (the probe on frozen features) + train.json, the
    frozen prefixes of the training crops (train-prefixes.npz) for fine-tuning, and their frozen
    features (train-features.npy) for the holdout step."""
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
    sources = np.array([items[o].source for o in owner])
    save_npz(args.work / "train-crops.npz", crops=crops, labels=labels, owner=owner, source=sources)
    net = build_net(config, pretrained=True).eval()
    features, prefixes = forward_split(split_trunks(net), crops)
    prefixes.save(args.work / PREFIXES)
    np.save(args.work / TRAIN_FEATURES, features)
    probe = fit_probe(features, labels, sources, config)
    assemble_head(net, probe)
    # The assembled net must reproduce the probe's logits on the training features.
    expected = probe.logits(features)
    with torch.no_grad():
        check = net.features_logit(torch.from_numpy(features)).numpy().ravel()
    drift = float(np.abs(check - expected).max())
    if drift > 1e-3:
        raise RuntimeError(f"assembled head disagrees with the probe by {drift}")
    torch.save(net.state_dict(), args.work / "triage.pt")
    summary = {
        "images": len(items),
        "ai": int(sum(i.label for i in items)),
        "real": int(sum(1 - i.label for i in items)),
        "crops": int(len(crops)),
        "featureDim": int(features.shape[1]),
        "trainCropAccuracy": float(np.mean((expected > 0) == (labels == 1))),
        "probeEpochs": [int(m.n_iter_) for m in probe.members],
        "seconds": round(time.time() - started, 1),
        "config": config.as_dict(),
    }
    (args.work / "train.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
