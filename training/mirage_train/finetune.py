"""Step "finetune": trains the last stage of every backbone together with the probe head on the
training crops, starting from the net of the "train" step (work/model/triage.pt, the probe fitted
on frozen features), and writes work/model/finetuned.pt, the weights "export" ships.

Everything before the last stage stays frozen, so its output is computed once per crop — by the
train step, in the pass that gives the probe its features — and kept (work/model/train-prefixes.npz,
float16 activations): the features pooled there are fixed, and each epoch runs only the last stage
of each backbone and the head. Batch norm keeps its ImageNet statistics (eval mode): 695 images are
too few to re-estimate them. The number of epochs is fixed in the config, never chosen on val.

    python -m mirage_train.finetune --work work/model [--val work/eval-val]

`--val` prints val AUROC after every epoch (for the README's record; it selects nothing).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from .calibrate import image_groups
from .config import CONFIG
from .model import TriageNet
from .split import PREFIXES, Prefixes, SplitTrunk, check_split, forward_split, head_logits, split_trunks
from .train import build_net, seed_everything
from .weights import source_weights

# The weights "export" and "compare" read: the net after fine-tuning.
FINETUNED_WEIGHTS = "finetuned.pt"


def cached_logits(net: TriageNet, trunks: list[SplitTrunk], cached: Prefixes, rows: np.ndarray | slice) -> torch.Tensor:
    """The net's logits of the cached crops at `rows`."""
    return head_logits(net, trunks, *cached.rows(rows))


@torch.no_grad()
def score(net: TriageNet, trunks: list[SplitTrunk], cached: Prefixes, batch: int = 512) -> np.ndarray:
    """Logits of every cached crop."""
    return np.concatenate([cached_logits(net, trunks, cached, slice(s, s + batch)).numpy() for s in range(0, len(cached), batch)])


def val_auroc(logits: np.ndarray, eval_dir: Path) -> dict[str, float]:
    """AUROC of the mean crop logit per image, pixels-only and pooled over variants (monitoring only)."""
    groups, meta = image_groups(eval_dir)
    out = {}
    for name, keys in (("pixelsOnly", [k for k in groups if k[1] == "pixels-only"]), ("pooled", list(groups))):
        truth = [meta[k]["label"] == "ai" for k in keys]
        out[name] = round(float(roc_auc_score(truth, [logits[groups[k]].mean() for k in keys])), 4)
    return out


def main() -> None:
    """Fine-tunes and saves the weights, and beside them their log (same name, .json: loss per epoch, seconds)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, help=f"where the fine-tuned weights go (default work/{FINETUNED_WEIGHTS})")
    parser.add_argument("--val", type=Path, help="eval-val folder: logs val AUROC per epoch (monitoring, not selection)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="use only N training crops, drawn at random with the seed (smoke runs)")
    args = parser.parse_args()
    config = CONFIG
    seed_everything(config.seed)
    torch.set_num_threads(args.threads)
    started = time.time()

    net = build_net(config, pretrained=False)
    net.load_state_dict(torch.load(args.work / "triage.pt", weights_only=True))
    net.eval()
    trunks = split_trunks(net)
    data = np.load(args.work / "train-crops.npz")
    labels, sources = data["labels"], data["source"]
    cached = Prefixes.load(args.work / PREFIXES, len(trunks))
    if len(cached) != len(labels):
        raise RuntimeError(f"{PREFIXES} holds {len(cached)} crops, train-crops.npz {len(labels)}: rerun the train step")
    check_split(net, trunks, data["crops"][:64], cached)
    if args.limit:
        pick = np.sort(np.random.default_rng(config.seed).permutation(len(labels))[: args.limit])
        cached, labels, sources = cached.subset(pick), labels[pick], sources[pick]
    print(json.dumps({"cached": len(cached), "seconds": round(time.time() - started, 1),
                      "actShapes": [list(a.shape[1:]) for a in cached.acts]}), flush=True)
    val = forward_split(trunks, np.load(args.val / "crops.npy", mmap_mode="r"))[1] if args.val else None
    if val is not None:
        print(json.dumps({"epoch": 0, "val": val_auroc(score(net, trunks, val), args.val),
                          "seconds": round(time.time() - started, 1)}), flush=True)

    params = [p for t in trunks for p in t.trained_parameters()] + list(net.head.parameters())
    for p in net.parameters():
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    optimiser = torch.optim.AdamW(params, lr=config.finetune_lr, weight_decay=config.finetune_weight_decay)
    steps_per_epoch = math.ceil(len(labels) / config.finetune_batch)
    total = steps_per_epoch * config.finetune_epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: 0.5 * (1 + math.cos(math.pi * s / total)))
    # The probe's weighting: sources by count^-power within each class, classes alike.
    weights = torch.from_numpy(source_weights(labels, sources, config.source_weight_power).astype(np.float32))
    rng = np.random.default_rng(config.seed)
    y_all = torch.from_numpy(labels.astype(np.float32))
    history = []
    for epoch in range(1, config.finetune_epochs + 1):
        order = rng.permutation(len(labels))
        running = 0.0
        for step in range(steps_per_epoch):
            idx = np.sort(order[step * config.finetune_batch : (step + 1) * config.finetune_batch])
            crop_loss = nn.functional.binary_cross_entropy_with_logits(cached_logits(net, trunks, cached, idx), y_all[idx], reduction="none")
            loss = (crop_loss * weights[idx]).sum() / weights[idx].sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            running += float(loss) * len(idx)
        record = {"epoch": epoch, "trainLoss": round(running / len(labels), 4), "seconds": round(time.time() - started, 1)}
        if val is not None:
            record["val"] = val_auroc(score(net, trunks, val), args.val)
        history.append(record)
        print(json.dumps(record), flush=True)
    weights = args.out or args.work / FINETUNED_WEIGHTS
    torch.save(net.state_dict(), weights)
    # Beside the weights, so that a run with --out (a smoke or an experiment) leaves the pipeline's log alone.
    weights.with_suffix(".json").write_text(json.dumps({"crops": int(len(labels)), "history": history, "seconds": round(time.time() - started, 1)}, indent=2))


if __name__ == "__main__":
    main()
