"""The decoded dataset written by training/scripts/decode-dataset.ts (index.csv + lossless PNGs)."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .crops import U8


@dataclass(frozen=True)
class Item:
    """One decoded image of the manifest."""

    path: str
    png: Path
    label: int  # 1 = ai, 0 = real
    source: str
    generator: str
    split: str
    width: int
    height: int


def read_index(decoded_dir: Path, split: str | None = None) -> list[Item]:
    """Rows of index.csv (optionally one split), in manifest order."""
    items: list[Item] = []
    with open(decoded_dir / "index.csv", newline="") as f:
        for row in csv.DictReader(f):
            if split is not None and row["split"] != split:
                continue
            items.append(
                Item(
                    path=row["path"],
                    png=decoded_dir / row["png"],
                    label=1 if row["label"] == "ai" else 0,
                    source=row["source"],
                    generator=row["generator"],
                    split=row["split"],
                    width=int(row["width"]),
                    height=int(row["height"]),
                )
            )
    return items


def load_rgb(item: Item) -> U8:
    """The decoded pixels, H × W × 3 uint8 (the PNG is lossless, so these are decodeImage's)."""
    with Image.open(item.png) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    if arr.shape[:2] != (item.height, item.width):
        raise ValueError(f"{item.png}: {arr.shape[1]}×{arr.shape[0]} but the index says {item.width}×{item.height}")
    return arr


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file (the manifest hash recorded in the card)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
