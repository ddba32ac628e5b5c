"""How much each training crop weighs (config.source_weight_power): numpy only, so that the test
suite can check it without the training requirements."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def source_weights(labels: npt.NDArray[np.integer], sources: npt.NDArray[np.str_], power: float) -> npt.NDArray[np.float64]:
    """Per-crop weight count(its source)^-power, scaled so that each class sums to half the crops
    (mean weight 1): power 0 weighs crops alike, 1 weighs a class's sources alike."""
    _, inverse, count = np.unique(sources, return_inverse=True, return_counts=True)
    weights = count[inverse].astype(np.float64) ** -power
    for label in (0, 1):
        weights[labels == label] *= 0.5 / weights[labels == label].sum()
    return weights * len(weights)
