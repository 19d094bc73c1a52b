"""The maths the lessons check, computed exactly: the MAML / first-order MAML / Reptile gradient expansion."""
from mlkit.analysis.expansion import (
    METHODS,
    Expansion,
    Expectations,
    coefficients,
    compare_with_implementations,
    expansion_terms,
    expectations,
    loglog_slope,
    meta_gradients,
    residuals,
    split_batches,
)

__all__ = [
    "METHODS", "Expansion", "Expectations", "coefficients", "compare_with_implementations", "expansion_terms", "expectations", "loglog_slope",
    "meta_gradients", "residuals", "split_batches",
]
