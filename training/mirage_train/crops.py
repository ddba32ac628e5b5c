"""Crop placement shared with serving: an exact port of cropGrid / extractCrop / gridCrops in
libs/imaging/src/crops.ts (keep the two in step; training/parity.test.ts proves they agree)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]


def _js_round(value: float) -> int:
    """JavaScript Math.round: halves go up (Python's round() goes to even)."""
    return math.floor(value + 0.5)


def crop_grid(width: int, height: int, size: int, count: int) -> list[tuple[int, int]]:
    """(x, y) of `count` crops of `size` on a width × height image, as cropGrid does."""
    if width <= size and height <= size:
        return [(0, 0)]
    cols = max(1, min(count, _js_round(math.sqrt((count * width) / height))))
    rows = max(1, math.ceil(count / cols))
    span_x = max(0, width - size)
    span_y = max(0, height - size)
    positions: list[tuple[int, int]] = []
    for r in range(rows):
        for c in range(cols):
            if len(positions) >= count:
                return positions
            x = math.floor(span_x / 2) if cols == 1 else _js_round((span_x * c) / (cols - 1))
            y = math.floor(span_y / 2) if rows == 1 else _js_round((span_y * r) / (rows - 1))
            positions.append((x, y))
    return positions


def _reflect(indices: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.int64]:
    """Mirror indices into [0, n) without repeating the edge pixel (extractCrop's reflect)."""
    if n == 1:
        return np.zeros_like(indices)
    period = 2 * (n - 1)
    m = np.mod(indices, period)
    return np.where(m < n, m, period - m)


def extract_crop(image: U8, x: int, y: int, size: int) -> U8:
    """size × size × 3 crop of an H × W × 3 image at (x, y), reflection-padded where it overhangs."""
    height, width = image.shape[:2]
    rows = _reflect(np.arange(y, y + size, dtype=np.int64), height)
    cols = _reflect(np.arange(x, x + size, dtype=np.int64), width)
    return np.ascontiguousarray(image[np.ix_(rows, cols)])


def grid_crops(image: U8, size: int, count: int) -> U8:
    """Crops at the crop_grid positions, stacked [K, size, size, 3] uint8."""
    height, width = image.shape[:2]
    return np.stack([extract_crop(image, x, y, size) for x, y in crop_grid(width, height, size, count)])


def normalise(crops: U8) -> npt.NDArray[np.float32]:
    """uint8 [K, S, S, 3] → float32 [K, 3, S, S], (x − 127) / 128: the model's input."""
    return ((crops.astype(np.float32) - np.float32(127.0)) / np.float32(128.0)).transpose(0, 3, 1, 2).copy()
