"""Detection metrics used in the card (same definitions as the evaluation protocol)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def summary(p_ai: F64, labels: I64, likely_ai: float, likely_real: float) -> dict[str, float | int]:
    """n, accuracy and balanced accuracy at pAi ≥ 0.5, AUROC, FPR on real and recall on AI at the
    LIKELY_AI threshold, miss rate at LIKELY_REAL, and the escalation (UNCERTAIN) rate."""
    ai = labels == 1
    real = ~ai
    predicted = p_ai >= 0.5
    tpr = float(predicted[ai].mean()) if ai.any() else float("nan")
    tnr = float((~predicted[real]).mean()) if real.any() else float("nan")
    uncertain = (p_ai >= likely_real) & (p_ai < likely_ai)
    return {
        "n": int(len(labels)),
        "accuracy": round(float((predicted == ai).mean()), 4),
        "balancedAccuracy": round((tpr + tnr) / 2, 4),
        "auroc": round(float(roc_auc_score(labels, p_ai)), 4) if ai.any() and real.any() else float("nan"),
        "fprRealAtLikelyAi": round(float((p_ai[real] >= likely_ai).mean()), 4),
        "recallAiAtLikelyAi": round(float((p_ai[ai] >= likely_ai).mean()), 4),
        "missAiAtLikelyReal": round(float((p_ai[ai] < likely_real).mean()), 4),
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
