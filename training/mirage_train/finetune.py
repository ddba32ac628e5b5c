"""Step "finetune": trains the last stage of every backbone together with the probe head on the
training crops, starting from the net of the "train" step (work/model/triage.pt, the probe fitted
on frozen features), and writes work/model/finetuned.pt, the weights "export" ships.

Everything before the last stage stays frozen, so its output is computed once per crop and kept
(float16): the features pooled there are fixed, and each epoch runs only the last stage of each
backbone and the head. Batch norm keeps its ImageNet statistics (eval mode): 695 images are too
few to re-estimate them. The number of epochs is fixed in the config, never chosen on val.

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
from .config import CONFIG, BackboneSpec
from .model import STAGE_ENDS, TriageNet, TruncatedLite, mean_std, normalise
from .train import build_net, seed_everything

# The weights "export" and "compare" read: the net after fine-tuning.
FINETUNED_WEIGHTS = "finetuned.pt"


class SplitTrunk(nn.Module):
    """A TruncatedLite cut before its last stage: `prefix` (frozen) gives the features pooled
    before the cut and the activation at the cut; `suffix` (trained) runs the last stage from it."""

    def __init__(self, part: TruncatedLite, first_trained_block: int) -> None:
        super().__init__()
        if part.head_conv is not None:
            raise ValueError("fine-tuning cuts before the last block stage; a backbone cut after the head convolution is not supported")
        self.part = part
        self.cut = first_trained_block

    @torch.no_grad()
    def prefix(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Features pooled before the cut [N, F] and the activation at the cut."""
        x = self.part.stem(x)
        pooled: list[torch.Tensor] = []
        for idx, block in enumerate(self.part.blocks[: self.cut]):
            x = block(x)
            if idx in self.part.tap_at:
                pooled.extend(mean_std(x))
        return torch.cat(pooled, dim=1), x

    def suffix(self, x: torch.Tensor) -> torch.Tensor:
        """Features pooled in the last stage, from the activation at the cut."""
        pooled: list[torch.Tensor] = []
        for idx, block in enumerate(self.part.blocks[self.cut :], start=self.cut):
            x = block(x)
            if idx in self.part.tap_at:
                pooled.extend(mean_std(x))
        return torch.cat(pooled, dim=1)

    def trained_parameters(self) -> list[nn.Parameter]:
        """The last stage's weights (the only backbone weights fine-tuning moves)."""
        return [p for block in self.part.blocks[self.cut :] for p in block.parameters()]


def trained_blocks(spec: BackboneSpec) -> range:
    """Block indices of a backbone's last stage: the blocks fine-tuning trains."""
    ends = STAGE_ENDS[spec.name]
    return range(ends[spec.last_stage - 1] + 1, ends[spec.last_stage] + 1)


def split_trunks(net: TriageNet) -> list[SplitTrunk]:
    """One SplitTrunk per backbone, cut at the first block of its last stage."""
    return [SplitTrunk(part, trained_blocks(spec).start) for spec, part in zip(CONFIG.backbones, net.backbone.parts)]


@torch.no_grad()
def cache_prefixes(trunks: list[SplitTrunk], crops: np.ndarray, batch: int = 128) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per trunk: fixed pooled features [N, F] (float32) and the activation at the cut (float16)."""
    fixed: list[list[np.ndarray]] = [[] for _ in trunks]
    acts: list[list[np.ndarray]] = [[] for _ in trunks]
    for start in range(0, len(crops), batch):
        x = normalise(torch.from_numpy(np.asarray(crops[start : start + batch])))
        for t, trunk in enumerate(trunks):
            f, a = trunk.prefix(x)
            fixed[t].append(f.numpy())
            acts[t].append(a.numpy().astype(np.float16))
    return [np.concatenate(f) for f in fixed], [np.concatenate(a) for a in acts]


def head_logits(net: TriageNet, trunks: list[SplitTrunk], fixed: list[torch.Tensor], acts: list[torch.Tensor]) -> torch.Tensor:
    """The net's logit from cached prefixes (same feature order as Backbones.forward)."""
    features = torch.cat([torch.cat([f, trunk.suffix(a)], dim=1) for trunk, f, a in zip(trunks, fixed, acts)], dim=1)
    return net.head((features - net.feat_mean) / net.feat_std).squeeze(1)


@torch.no_grad()
def check_split(net: TriageNet, trunks: list[SplitTrunk], crops: np.ndarray) -> None:
    """The split trunks must give the whole net's logits (else the cut is in the wrong place)."""
    x = normalise(torch.from_numpy(np.asarray(crops)))
    halves = [trunk.prefix(x) for trunk in trunks]
    split = head_logits(net, trunks, [f for f, _ in halves], [a for _, a in halves])
    drift = float((split - net(x).squeeze(1)).abs().max())
    if drift > 1e-4:
        raise RuntimeError(f"split trunks disagree with the net by {drift}")


def cached_logits(net: TriageNet, trunks: list[SplitTrunk], fixed: list[np.ndarray], acts: list[np.ndarray], rows: np.ndarray | slice) -> torch.Tensor:
    """The net's logits of the cached crops at `rows`."""
    return head_logits(net, trunks, [torch.from_numpy(x[rows]) for x in fixed], [torch.from_numpy(x[rows].astype(np.float32)) for x in acts])


@torch.no_grad()
def score(net: TriageNet, trunks: list[SplitTrunk], fixed: list[np.ndarray], acts: list[np.ndarray], batch: int = 512) -> np.ndarray:
    """Logits of every cached crop."""
    return np.concatenate([cached_logits(net, trunks, fixed, acts, slice(s, s + batch)).numpy() for s in range(0, len(fixed[0]), batch)])


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
    parser.add_argument("--limit", type=int, default=0, help="use only the first N training crops (smoke runs)")
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
    crops, labels = data["crops"], data["labels"]
    if args.limit:
        pick = np.random.default_rng(config.seed).permutation(len(crops))[: args.limit]
        crops, labels = crops[np.sort(pick)], labels[np.sort(pick)]
    check_split(net, trunks, crops[:64])
    fixed, acts = cache_prefixes(trunks, crops)
    print(json.dumps({"cached": len(crops), "seconds": round(time.time() - started, 1),
                      "actShapes": [list(a.shape[1:]) for a in acts]}), flush=True)
    val = cache_prefixes(trunks, np.load(args.val / "crops.npy", mmap_mode="r")) if args.val else None
    if val is not None:
        print(json.dumps({"epoch": 0, "val": val_auroc(score(net, trunks, *val), args.val),
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
    ai_share = float(labels.mean())
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor((1 - ai_share) / ai_share))
    rng = np.random.default_rng(config.seed)
    y_all = torch.from_numpy(labels.astype(np.float32))
    history = []
    for epoch in range(1, config.finetune_epochs + 1):
        order = rng.permutation(len(labels))
        running = 0.0
        for step in range(steps_per_epoch):
            idx = np.sort(order[step * config.finetune_batch : (step + 1) * config.finetune_batch])
            loss = loss_fn(cached_logits(net, trunks, fixed, acts, idx), y_all[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            running += float(loss) * len(idx)
        record = {"epoch": epoch, "trainLoss": round(running / len(labels), 4), "seconds": round(time.time() - started, 1)}
        if val is not None:
            record["val"] = val_auroc(score(net, trunks, *val), args.val)
        history.append(record)
        print(json.dumps(record), flush=True)
    weights = args.out or args.work / FINETUNED_WEIGHTS
    torch.save(net.state_dict(), weights)
    # Beside the weights, so that a run with --out (a smoke or an experiment) leaves the pipeline's log alone.
    weights.with_suffix(".json").write_text(json.dumps({"crops": int(len(labels)), "history": history, "seconds": round(time.time() - started, 1)}, indent=2))


if __name__ == "__main__":
    main()
