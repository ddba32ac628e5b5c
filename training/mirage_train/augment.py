"""In-the-wild augmentation, drawn identically for both classes so that no class-specific history
(JPEG grid, WebP blocks, size) can become a shortcut: resampling up and down, blur, sharpening,
noise, JPEG re-encoding at random quality, "screenshots" (resample + lossless), random crops."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from .crops import U8, extract_crop

RESAMPLERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS, Image.Resampling.BOX)

# What the card lists: the augmentation recipe in words.
RECIPE: list[str] = [
    "random region at native resolution (random crop position)",
    "resample with p=0.5 by a log-uniform factor in [0.5, 2.0] (bilinear/bicubic/lanczos/box)",
    "gaussian blur p=0.15 (radius 0.3-1.2)",
    "unsharp mask p=0.1",
    "gaussian noise p=0.15 (sigma 1-4)",
    "JPEG re-encode p=0.7 (quality 60-100, 4:2:0 p=0.7 else 4:4:4); otherwise kept lossless (screenshot)",
    "horizontal flip p=0.5",
    "same distribution for both classes",
]


@dataclass(frozen=True)
class AugmentParams:
    """Probabilities and ranges of the recipe above."""

    p_resize: float = 0.5
    scale_min: float = 0.5
    scale_max: float = 2.0
    p_blur: float = 0.15
    p_sharpen: float = 0.1
    p_noise: float = 0.15
    p_jpeg: float = 0.7
    q_min: int = 60
    q_max: int = 100


def _jpeg(img: Image.Image, quality: int, subsampling: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, subsampling=subsampling)
    buf.seek(0)
    with Image.open(buf) as out:
        return out.convert("RGB")


def augmented_crop(image: U8, size: int, rng: np.random.Generator, params: AugmentParams = AugmentParams()) -> U8:
    """One size × size training crop of `image` under a random in-the-wild history."""
    height, width = image.shape[:2]
    scale = 1.0
    if rng.random() < params.p_resize:
        scale = math.exp(rng.uniform(math.log(params.scale_min), math.log(params.scale_max)))
    # Work on a region a bit larger than the crop (in source pixels), so filters and JPEG blocks
    # see context and the cost stays small on multi-megapixel photos.
    need = int(math.ceil((size + 16) / scale))
    rw, rh = min(width, need), min(height, need)
    x0 = int(rng.integers(0, width - rw + 1))
    y0 = int(rng.integers(0, height - rh + 1))
    img = Image.fromarray(image[y0 : y0 + rh, x0 : x0 + rw])
    if scale != 1.0:
        nw, nh = max(1, round(rw * scale)), max(1, round(rh * scale))
        img = img.resize((nw, nh), RESAMPLERS[int(rng.integers(0, len(RESAMPLERS)))])
    if rng.random() < params.p_blur:
        img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.3, 1.2))))
    if rng.random() < params.p_sharpen:
        img = img.filter(ImageFilter.UnsharpMask(radius=2, percent=int(rng.integers(50, 150)), threshold=2))
    if rng.random() < params.p_noise:
        arr = np.asarray(img, dtype=np.float32)
        arr = arr + rng.normal(0.0, float(rng.uniform(1.0, 4.0)), size=arr.shape).astype(np.float32)
        img = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8))
    if rng.random() < params.p_jpeg:
        quality = int(rng.integers(params.q_min, params.q_max + 1))
        img = _jpeg(img, quality, 2 if rng.random() < 0.7 else 0)
    arr = np.asarray(img, dtype=np.uint8)
    h, w = arr.shape[:2]
    cx = int(rng.integers(0, max(0, w - size) + 1))
    cy = int(rng.integers(0, max(0, h - size) + 1))
    crop = extract_crop(arr, cx, cy, size)
    if rng.random() < 0.5:
        crop = np.ascontiguousarray(crop[:, ::-1])
    return crop
