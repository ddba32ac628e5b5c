"""Step "export": TriageNet → ONNX (opset 17, input "input" [N,3,S,S], output "logit" [N,1], only
the batch axis dynamic); checks onnxruntime against torch and measures the cost on one thread.

    python -m mirage_train.export --work work/model --out work/model/model-float.onnx
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from .config import CONFIG
from .crops import normalise
from .model import TriageNet
from .finetune import FINETUNED_WEIGHTS
from .train import build_net


def one_thread_session(path: Path) -> ort.InferenceSession:
    """An onnxruntime CPU session on one intra-op thread (the serving budget is per core)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def measure_ms(session: ort.InferenceSession, batch: int, size: int, repeats: int = 40) -> float:
    """Median wall milliseconds of one run of `batch` crops (after warm-up)."""
    x = np.random.default_rng(0).normal(size=(batch, 3, size, size)).astype(np.float32)
    for _ in range(5):
        session.run(None, {"input": x})
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, {"input": x})
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def main() -> None:
    """Exports, verifies and writes work/model/export.json (cost and parity)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = CONFIG
    torch.manual_seed(config.seed)
    net: TriageNet = build_net(config, pretrained=False)
    net.load_state_dict(torch.load(args.work / FINETUNED_WEIGHTS, weights_only=True))
    net.eval()
    size = config.crop_size
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        net,
        (torch.zeros(1, 3, size, size),),
        str(args.out),
        input_names=["input"],
        output_names=["logit"],
        dynamic_axes={"input": {0: "n"}, "logit": {0: "n"}},
        opset_version=17,
        do_constant_folding=True,
    )
    model = onnx.load(str(args.out))
    onnx.checker.check_model(model)

    # Parity on real training crops (not just noise): torch vs onnxruntime logits.
    crops = np.load(args.work / "train-crops.npz")["crops"][:: max(1, 5000 // 64)][:64]
    x = normalise(crops)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    session = one_thread_session(args.out)
    got = session.run(None, {"input": x})[0]
    max_diff = float(np.abs(expected - got).max())
    if got.shape != (len(x), 1) or max_diff > 1e-3:
        raise RuntimeError(f"onnxruntime disagrees with torch: shape {got.shape}, max abs diff {max_diff}")

    per_crop = measure_ms(session, 1, size)
    per_image = measure_ms(session, config.crop_count, size)
    summary = {
        "onnxTorchMaxAbsDiff": max_diff,
        "msPerCropOneThread": round(per_crop, 2),
        "msPerImageOneThread": round(per_image, 2),
        "bytes": args.out.stat().st_size,
        "opset": 17,
    }
    (args.work / "export.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
