"""Detection metrics used in the card (same definitions as the evaluation protocol)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from .config import CONFIG

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# What the band thresholds hold on val (the targets): false positives on real photos at
# LIKELY_AI, missed AI images at LIKELY_REAL, and the same at policy strict's LIKELY_REAL.
TARGETS = {"likelyAiFprReal": 0.01, "likelyRealMissAi": 0.02, "strictLikelyRealMissAi": 0.005}


def settles_band(textured_crops: int) -> bool:
    """Whether an image shows the model enough textured crops for its pAi to settle a band alone:
    serving sends one with fewer than the card's minTexturedForBand to review whatever its pAi."""
    return textured_crops >= CONFIG.min_textured_for_band


def bands(p_ai: F64, likely_ai: float, likely_real: float,
          settles: npt.NDArray[np.bool_] | None = None) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """LIKELY_AI, LIKELY_REAL and UNCERTAIN masks of pAi as serving bands them: rows whose `settles`
    is False (too few textured crops) stay UNCERTAIN whatever their pAi."""
    may = np.ones(len(p_ai), dtype=bool) if settles is None else settles
    decided_ai = (p_ai >= likely_ai) & may
    decided_real = (p_ai < likely_real) & may
    return decided_ai, decided_real, ~(decided_ai | decided_real)


def summary(p_ai: F64, labels: I64, likely_ai: float, likely_real: float,
            settles: npt.NDArray[np.bool_] | None = None) -> dict[str, float | int]:
    """n, accuracy and balanced accuracy at pAi ≥ 0.5, AUROC, FPR on real and recall on AI at the
    LIKELY_AI threshold, miss rate at LIKELY_REAL, and the escalation (UNCERTAIN) rate, banded as
    `bands` does."""
    ai = labels == 1
    real = ~ai
    predicted = p_ai >= 0.5
    tpr = float(predicted[ai].mean()) if ai.any() else float("nan")
    tnr = float((~predicted[real]).mean()) if real.any() else float("nan")
    decided_ai, decided_real, uncertain = bands(p_ai, likely_ai, likely_real, settles)
    return {
        "n": int(len(labels)),
        "accuracy": round(float((predicted == ai).mean()), 4),
        "balancedAccuracy": round((tpr + tnr) / 2, 4),
        "auroc": round(float(roc_auc_score(labels, p_ai)), 4) if ai.any() and real.any() else float("nan"),
        "fprRealAtLikelyAi": round(float(decided_ai[real].mean()), 4),
        "recallAiAtLikelyAi": round(float(decided_ai[ai].mean()), 4),
        "missAiAtLikelyReal": round(float(decided_real[ai].mean()), 4),
        "escalationRate": round(float(uncertain.mean()), 4),
    }


def threshold_for_fpr(real_scores: F64, target: float) -> float:
    """Smallest threshold t (4 decimals) with share of real scores ≥ t at most `target`."""
    ordered = np.sort(real_scores)[::-1]
    allowed = int(np.floor(target * len(ordered)))
    t = float(np.ceil((ordered[allowed] + 1e-9) * 1e4) / 1e4) if allowed < len(ordered) else 0.0
    assert (real_scores >= t).mean() <= target + 1e-12
    return t


def threshold_for_miss(ai_scores: F64, target: float) -> float:
    """Largest threshold t (4 decimals) with share of AI scores < t at most `target`."""
    ordered = np.sort(ai_scores)
    allowed = int(np.floor(target * len(ordered)))
    t = float(np.floor(ordered[allowed] * 1e4) / 1e4)
    assert (ai_scores < t).mean() <= target + 1e-12
    return t


def choose_bands(p: F64, y: I64) -> tuple[float, float, float]:
    """likelyAi, likelyReal and strictLikelyReal for pooled pAi p and labels y (TARGETS)."""
    likely_ai = threshold_for_fpr(p[y == 0], TARGETS["likelyAiFprReal"])
    likely_real = min(threshold_for_miss(p[y == 1], TARGETS["likelyRealMissAi"]), likely_ai)
    strict = min(threshold_for_miss(p[y == 1], TARGETS["strictLikelyRealMissAi"]), likely_real)
    return likely_ai, likely_real, strict
