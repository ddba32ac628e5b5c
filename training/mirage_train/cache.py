"""Crop sets built once and reused by every experiment: augmented training crops and grid crops
of a split (optionally re-encoded JPEG q90 in Python, a quick stand-in for pixels-only used only
for model selection; the reported numbers come from the TypeScript-made evaluation crops)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from .augment import augmented_crop
from .crops import U8, grid_crops
from .data import Item, load_rgb


def train_crops(items: list[Item], size: int, draws: int, seed: int) -> tuple[U8, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """`draws` augmented crops per image: crops [N·draws, S, S, 3], labels, image index."""
    rng = np.random.default_rng(seed)
    crops: list[U8] = []
    labels: list[int] = []
    owner: list[int] = []
    for i, item in enumerate(items):
        image = load_rgb(item)
        for _ in range(draws):
            crops.append(augmented_crop(image, size, rng))
            labels.append(item.label)
            owner.append(i)
    return np.stack(crops), np.asarray(labels, dtype=np.int64), np.asarray(owner, dtype=np.int64)


def jpeg90(image: U8) -> U8:
    """Python stand-in for pixels-only: re-encode as JPEG quality 90."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=90)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def split_grid_crops(items: list[Item], size: int, count: int, reencode: bool) -> tuple[U8, npt.NDArray[np.int64]]:
    """Grid crops of every image (as serving places them): crops [M, S, S, 3] and image index."""
    crops: list[U8] = []
    owner: list[int] = []
    for i, item in enumerate(items):
        image = load_rgb(item)
        if reencode:
            image = jpeg90(image)
        g = grid_crops(image, size, count)
        crops.append(g)
        owner.extend([i] * len(g))
    return np.concatenate(crops), np.asarray(owner, dtype=np.int64)


def save_npz(path: Path, **arrays: npt.NDArray[np.generic]) -> None:
    """Writes arrays uncompressed (fast) into one .npz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)  # type: ignore[arg-type]
