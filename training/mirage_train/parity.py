"""Python side of training/parity.test.ts: reads lossless PNGs of decodeImage output, builds the
grid crops and the normalised tensor exactly as training/evaluation do, writes them as .npy, and
each crop's luminance residual RMS (the flat-crop rule, texture.py).

    python3 training/mirage_train/parity.py <jobs.json> <out dir>

jobs.json: [{"png": "...", "size": S, "count": K, "name": "..."}]; writes <name>.npy (float32
[K, 3, S, S]), <name>.json (crop positions) and <name>.rms.json (residual RMS per crop) per job. Needs only numpy and pillow."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

# Runnable as a plain script (no package install): import crops.py from beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crops import crop_grid, grid_crops, normalise  # noqa: E402
from texture import residual_rms  # noqa: E402


def main(jobs_file: Path, out_dir: Path) -> None:
    """Runs every job of jobs_file."""
    jobs = json.loads(jobs_file.read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        with Image.open(job["png"]) as im:
            if im.mode != "RGB":
                raise ValueError(f"{job['png']}: mode {im.mode}, expected RGB")
            image = np.asarray(im, dtype=np.uint8)
        size, count = int(job["size"]), int(job["count"])
        crops = grid_crops(image, size, count)
        np.save(out_dir / f"{job['name']}.npy", normalise(crops))
        (out_dir / f"{job['name']}.rms.json").write_text(json.dumps([float(v) for v in residual_rms(crops)]))
        positions = crop_grid(image.shape[1], image.shape[0], size, count)
        (out_dir / f"{job['name']}.json").write_text(json.dumps([{"x": x, "y": y} for x, y in positions]))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: parity.py <jobs.json> <out dir>")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
