"""Frozen-backbone features for crops (batched, no gradients)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch

from .crops import U8
from .model import Backbones, normalise


@torch.no_grad()
def extract(backbone: Backbones, crops: U8, batch: int = 64) -> npt.NDArray[np.float32]:
    """Pooled features [N, D] of uint8 crops [N, S, S, 3]."""
    backbone.eval()
    out: list[npt.NDArray[np.float32]] = []
    for start in range(0, len(crops), batch):
        x = normalise(torch.from_numpy(crops[start : start + batch]))
        out.append(backbone(x).numpy().astype(np.float32))
    return np.concatenate(out)
