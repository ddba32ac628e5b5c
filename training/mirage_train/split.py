"""The backbones cut before their last stage, the part fine-tuning trains. The frozen part of each
crop is computed once, by the "train" step, while it computes the probe's features (the same
forward pass), and kept for the "finetune" step (work/model/train-prefixes.npz)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from .cache import save_npz
from .config import CONFIG, BackboneSpec
from .model import STAGE_ENDS, TriageNet, TruncatedLite, normalise

# The train step's frozen-prefix cache, read by finetune.
PREFIXES = "train-prefixes.npz"


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
        x, pooled = self.part.run_blocks(self.part.stem(x), 0, self.cut)
        return torch.cat(pooled, dim=1), x

    def suffix(self, x: torch.Tensor) -> torch.Tensor:
        """Features pooled in the last stage, from the activation at the cut."""
        return torch.cat(self.part.run_blocks(x, self.cut, len(self.part.blocks))[1], dim=1)

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


@dataclass
class Prefixes:
    """Per trunk: the features pooled before the cut [N, F] (float32) and the activation at the cut
    (float16, half the memory; fine-tuning reads it back as float32)."""

    fixed: list[npt.NDArray[np.float32]]
    acts: list[npt.NDArray[np.float16]]

    def rows(self, rows: npt.NDArray[np.int64] | slice) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Tensors of the cached rows, ready for `head_logits`."""
        return [torch.from_numpy(f[rows]) for f in self.fixed], [torch.from_numpy(a[rows].astype(np.float32)) for a in self.acts]

    def subset(self, rows: npt.NDArray[np.int64]) -> Prefixes:
        """The cache of some crops only (smoke runs)."""
        return Prefixes([f[rows] for f in self.fixed], [a[rows] for a in self.acts])

    def __len__(self) -> int:
        return len(self.fixed[0])

    def save(self, path: Path) -> None:
        save_npz(path, **{f"fixed{t}": f for t, f in enumerate(self.fixed)}, **{f"act{t}": a for t, a in enumerate(self.acts)})

    @staticmethod
    def load(path: Path, trunks: int) -> Prefixes:
        data = np.load(path)
        return Prefixes([data[f"fixed{t}"] for t in range(trunks)], [data[f"act{t}"] for t in range(trunks)])


@torch.no_grad()
def forward_split(trunks: list[SplitTrunk], crops: np.ndarray, batch: int = 64) -> tuple[npt.NDArray[np.float32], Prefixes]:
    """One pass over uint8 crops [N, S, S, 3]: the backbones' pooled features [N, D] (what
    Backbones.forward gives, same order) and the frozen prefixes kept for fine-tuning."""
    features: list[np.ndarray] = []
    fixed: list[list[np.ndarray]] = [[] for _ in trunks]
    acts: list[list[np.ndarray]] = [[] for _ in trunks]
    for start in range(0, len(crops), batch):
        x = normalise(torch.from_numpy(np.asarray(crops[start : start + batch])))
        row: list[torch.Tensor] = []
        for t, trunk in enumerate(trunks):
            f, a = trunk.prefix(x)
            row.extend([f, trunk.suffix(a)])
            fixed[t].append(f.numpy())
            acts[t].append(a.numpy().astype(np.float16))
        features.append(torch.cat(row, dim=1).numpy())
    return np.concatenate(features), Prefixes([np.concatenate(f) for f in fixed], [np.concatenate(a) for a in acts])


def head_logits(net: TriageNet, trunks: list[SplitTrunk], fixed: list[torch.Tensor], acts: list[torch.Tensor]) -> torch.Tensor:
    """The net's logit from cached prefixes (same feature order as Backbones.forward)."""
    features = torch.cat([torch.cat([f, trunk.suffix(a)], dim=1) for trunk, f, a in zip(trunks, fixed, acts)], dim=1)
    return net.features_logit(features).squeeze(1)


@torch.no_grad()
def check_split(net: TriageNet, trunks: list[SplitTrunk], crops: np.ndarray, cached: Prefixes) -> None:
    """The split trunks must give the whole net's logits (else the cut is in the wrong place), and
    the cache must hold these crops' prefixes (else it is stale: made by another train run)."""
    x = normalise(torch.from_numpy(np.asarray(crops)))
    halves = [trunk.prefix(x) for trunk in trunks]
    split = head_logits(net, trunks, [f for f, _ in halves], [a for _, a in halves])
    drift = float((split - net(x).squeeze(1)).abs().max())
    if drift > 1e-4:
        raise RuntimeError(f"split trunks disagree with the net by {drift}")
    stale = max(float(np.abs(c[: len(crops)] - f.numpy()).max()) for c, (f, _) in zip(cached.fixed, halves))
    if stale > 1e-4:
        raise RuntimeError(f"{PREFIXES} does not match the training crops (max difference {stale}): rerun the train step")
