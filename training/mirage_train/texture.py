"""Which crops carry texture for the pixel model to read: the same rule as serving
(libs/imaging/src/texture.ts), so calibration and the leave-source-out check score images the way
the detector does.

A crop whose luminance residual (pixel minus the mean of its 4 neighbours) has an RMS under
CONFIG.flat_residual_rms grey levels is flat: a clipped or smooth backdrop, a blank area. It
carries no forensic trace, and what the model reads there is the backdrop's level — in aigi-v1 a
clipped-white studio catalogue (real) against near-white generator backdrops (AI), a shortcut of
the dataset (training/README.md, "Flat crops carry no evidence"). An image's logit is the mean over
its textured crops, each clipped to ±CONFIG.crop_logit_clip first; an image with none is not read.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def residual_rms(crops: npt.NDArray[np.uint8]) -> F64:
    """RMS of the luminance residual over each crop's interior, uint8 crops [M, S, S, 3] → [M]."""
    rgb = np.asarray(crops, dtype=np.float64)
    lum = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    neighbours = (lum[:, 1:-1, :-2] + lum[:, 1:-1, 2:] + lum[:, :-2, 1:-1] + lum[:, 2:, 1:-1]) / 4
    residual = lum[:, 1:-1, 1:-1] - neighbours
    return np.sqrt((residual**2).mean(axis=(1, 2)))


def stored_rms(crops: npt.NDArray[np.uint8], rows: npt.NDArray[np.int64] | None = None, chunk: int = 256) -> F64:
    """residual_rms of the crops of a memory-mapped crops.npy (of `rows` of it, in that order), a
    chunk at a time: float64 copies of every evaluation crop at once would not fit in memory."""
    picked = np.arange(len(crops)) if rows is None else rows
    parts = [residual_rms(np.asarray(crops[picked[s : s + chunk]])) for s in range(0, len(picked), chunk)]
    return np.concatenate(parts) if parts else np.zeros(0)


def textured(rms: F64, flat_below: float) -> npt.NDArray[np.bool_]:
    """True for crops with texture to read."""
    return rms >= flat_below


def clipped_mean(logits: F64, clip: float) -> float:
    """The image's logit from its crops' logits: each clipped to ±clip, then averaged (serving's
    `PixelModel.aggregate`)."""
    return float(np.clip(logits, -clip, clip).mean())


def textured_mean(logits: F64, mask: npt.NDArray[np.bool_], clip: float) -> float | None:
    """clipped_mean of the textured crops, or None when every crop is flat (the image is not read)."""
    if not mask.any():
        return None
    return clipped_mean(logits[mask], clip)
