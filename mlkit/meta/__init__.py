"""Meta-learners: one file per method, all with ``meta_loss(batch)`` and ``adapt(x, y) -> Predictor``.

- gradient-based, on the shared inner loop ``mlkit.meta.inner`` (θ' = θ − α ⊙ M ⊙ ∇L): ``mlkit.meta.maml`` (MAML,
  FOMAML), ``mlkit.meta.metasgd``, ``mlkit.meta.reptile``, ``mlkit.meta.mtnet`` (TNet, MTNet, MNet, MTNetFull,
  MNetFull), ``mlkit.meta.lstm_meta`` (LSTMMetaLearner), ``mlkit.meta.leo``;
- metric-based, on ``mlkit.meta.metric``: ``mlkit.meta.protonet``, ``mlkit.meta.matching``, ``mlkit.meta.relation``,
  ``mlkit.meta.siamese``;
- model-based: ``mlkit.meta.mann``, ``mlkit.meta.metanet`` (memory operations in ``mlkit.meta.memory``);
- baselines: ``mlkit.meta.finetune``, ``mlkit.meta.nearest_neighbour``.
Every method derives from ``mlkit.meta.base.MetaLearner``; per-task losses are in ``mlkit.meta.losses``.

``METHODS`` maps each method's ``name`` (what the command line and ``recipes.build`` take) to its class. A new
method is a new module here plus one line in the imports below and one entry in ``_CLASSES``
(tests/test_registry.py checks that every ``MetaLearner`` subclass with a name is listed).
"""
from __future__ import annotations

from typing import Any

from mlkit.meta.base import MetaLearner, Predictor
from mlkit.meta.finetune import FineTune
from mlkit.meta.inner import gradient_step, inner_loop
from mlkit.meta.leo import LEO
from mlkit.meta.losses import task_losses
from mlkit.meta.lstm_meta import LSTMMetaLearner
from mlkit.meta.maml import FOMAML, MAML
from mlkit.meta.mann import MANN
from mlkit.meta.matching import MatchingNet
from mlkit.meta.metanet import MetaNet
from mlkit.meta.metasgd import MetaSGD
from mlkit.meta.mtnet import MNet, MNetFull, MTNet, MTNetFull, TNet
from mlkit.meta.nearest_neighbour import NearestNeighbour
from mlkit.meta.protonet import ProtoNet
from mlkit.meta.relation import RelationNet
from mlkit.meta.reptile import Reptile
from mlkit.meta.siamese import Siamese

_CLASSES: tuple[type[MetaLearner], ...] = (
    MAML, FOMAML, MetaSGD, Reptile, TNet, MTNet, MNet, MTNetFull, MNetFull, LSTMMetaLearner, LEO,
    ProtoNet, MatchingNet, RelationNet, Siamese, MANN, MetaNet, FineTune, NearestNeighbour,
)
METHODS: dict[str, type[MetaLearner]] = {cls.name: cls for cls in _CLASSES}


def build_meta_learner(config: dict[str, Any]) -> MetaLearner:
    """Rebuild a meta-learner from ``meta.config()`` (as stored in checkpoints)."""
    method = config.get("method")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(sorted(METHODS))}, got {method!r}")
    return METHODS[method].from_config(config)


__all__ = [
    "METHODS", "build_meta_learner", "MetaLearner", "Predictor", "inner_loop", "gradient_step", "task_losses",
    "MAML", "FOMAML", "MetaSGD", "Reptile", "TNet", "MTNet", "MNet", "MTNetFull", "MNetFull", "LSTMMetaLearner", "LEO",
    "ProtoNet", "MatchingNet", "RelationNet", "Siamese", "MANN", "MetaNet", "FineTune", "NearestNeighbour",
]
