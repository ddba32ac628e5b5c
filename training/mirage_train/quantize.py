"""Step "quantize": the exported float model → the shipped int8 model (onnxruntime static
quantization, QDQ: per-channel int8 weights, uint8 activations whose ranges come from training
crops), then how far its logits stray from the float model's and what it costs on one thread.

Why int8: triage's cost is the 16 crops through the two trunks, and int8 convolutions run about
twice as fast on a CPU core. v1-v8 could not take it (their int8 logits correlated 0.14-0.59 with
the float model's): they ran the trunks under Swish, whose tails 8 bits do not hold;
EfficientNet-Lite was designed with ReLU6 so that it quantizes, and since v9 runs it so. Every
operator is quantized: leaving the pooling statistics (mean, std) and the head in float measured no
closer and slower. The ReLU6 (Clip) after a convolution leaves the graph: its [0, 6] becomes the
range of the quantized activation (keeping the node, QDQKeepRemovableActivations, measured no
faster than float).

Calibration and agreement use training crops only (train-crops.npz, two disjoint samples): val
stays for calibration of pAi and the thresholds, which the next steps fit on this model's logits.

    python -m mirage_train.quantize --work work/model --float work/model/model-float.onnx --out ../models/triage/v11/model.onnx
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from onnxruntime import InferenceSession
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from .config import CONFIG
from .crops import normalise
from .export import measure_ms, one_thread_session

CALIBRATION_CROPS = 512
AGREEMENT_CROPS = 2048
BATCH = 32


class CropReader(CalibrationDataReader):
    """Feeds uint8 crops [M, S, S, 3] to the calibrator in batches, normalised as serving does."""

    def __init__(self, crops: npt.NDArray[np.uint8]) -> None:
        self.crops = crops
        self.at = 0

    def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
        if self.at >= len(self.crops):
            return None
        batch = normalise(self.crops[self.at : self.at + BATCH])
        self.at += BATCH
        return {"input": batch}


def logits(session: InferenceSession, crops: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    out = [session.run(None, {"input": normalise(crops[i : i + 64])})[0][:, 0] for i in range(0, len(crops), 64)]
    return np.concatenate(out).astype(np.float64)


def main() -> None:
    """Quantizes, compares with the float model and writes work/model/quantize.json."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--float", dest="float_model", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    crops = np.load(args.work / "train-crops.npz")["crops"]
    rng = np.random.default_rng(CONFIG.seed)
    order = rng.permutation(len(crops))
    calibration = crops[np.sort(order[:CALIBRATION_CROPS])]
    agreement = crops[np.sort(order[CALIBRATION_CROPS : CALIBRATION_CROPS + AGREEMENT_CROPS])]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(args.float_model), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(args.out), CropReader(calibration), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
    onnx.checker.check_model(onnx.load(str(args.out)))

    float_session, int8_session = one_thread_session(args.float_model), one_thread_session(args.out)
    reference, quantized = logits(float_session, agreement), logits(int8_session, agreement)
    diff = np.abs(reference - quantized)
    size = CONFIG.crop_size
    summary = {
        "method": ("onnxruntime static quantization, QDQ: per-channel int8 weights, uint8 activations (min-max ranges), "
                   "every operator"),
        "calibrationCrops": f"{CALIBRATION_CROPS} training crops",
        "agreement": {"crops": f"{AGREEMENT_CROPS} other training crops",
                      "logitCorrelation": round(float(np.corrcoef(reference, quantized)[0, 1]), 4),
                      "meanAbsLogitDiff": round(float(diff.mean()), 4), "p99AbsLogitDiff": round(float(np.quantile(diff, 0.99)), 4),
                      "floatLogitStd": round(float(reference.std()), 4)},
        "msPerCropOneThread": round(measure_ms(int8_session, 1, size), 2),
        "msPerImageOneThread": round(measure_ms(int8_session, CONFIG.crop_count, size), 2),
        "floatMsPerImageOneThread": round(measure_ms(float_session, CONFIG.crop_count, size), 2),
        "bytes": args.out.stat().st_size,
        "floatBytes": args.float_model.stat().st_size,
    }
    (args.work / "quantize.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
