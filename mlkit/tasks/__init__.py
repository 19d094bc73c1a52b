"""Tasks: regression families, image datasets and the episode sampler, all handing out ``TaskBatch``es.

Every sampler (``SineTasks``, ``PolynomialTasks``, ``EpisodeSampler``) is a ``Sampler``: the protocol that the
training loop, ``evaluate`` and ``recipes.build`` take (``mlkit.tasks.sampler``).

- regression: ``mlkit.tasks.regression``; a meta-batch: ``mlkit.tasks.batch``;
- image datasets (one split each, ``mlkit.tasks.images``): ``mlkit.tasks.glyphs``, ``mlkit.tasks.omniglot``,
  ``mlkit.tasks.miniimagenet``, ``mlkit.tasks.digits``, ``mlkit.tasks.features``; images from files:
  ``mlkit.tasks.image_files``; distortions: ``mlkit.tasks.augment``;
- Omniglot's pen strokes: ``mlkit.tasks.strokes`` (``Strokes``), their files ``mlkit.tasks.stroke_files``
  (``load_alphabet``, ``save_alphabet``), one renderer ``mlkit.tasks.render`` (``render_strokes``), perturbations
  ``mlkit.tasks.stroke_augment`` (``perturb_strokes``, ``StrokeDistortion``);
- N-way K-shot episodes from a dataset: ``mlkit.tasks.episodes``; by name: ``mlkit.tasks.registry``.
"""
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.digits import Digits
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.tasks.features import FeatureDataset
from mlkit.tasks.glyphs import Glyphs
from mlkit.tasks.images import ImageDataset
from mlkit.tasks.miniimagenet import MiniImageNet
from mlkit.tasks.omniglot import Omniglot
from mlkit.tasks.registry import TASK_FAMILIES, make_dataset, make_tasks
from mlkit.tasks.regression import PolynomialTasks, RegressionTasks, SineTasks
from mlkit.tasks.render import render_strokes
from mlkit.tasks.sampler import Sampler, SeededStream
from mlkit.tasks.stroke_augment import StrokeDistortion, perturb_strokes
from mlkit.tasks.stroke_files import load_alphabet, save_alphabet
from mlkit.tasks.strokes import Strokes

__all__ = [
    "TaskBatch", "Sampler", "SeededStream", "EpisodeSampler", "ImageDataset", "SineTasks", "PolynomialTasks",
    "RegressionTasks", "make_tasks", "make_dataset", "TASK_FAMILIES", "Glyphs", "Omniglot", "MiniImageNet", "Digits",
    "FeatureDataset", "Strokes", "render_strokes", "perturb_strokes", "StrokeDistortion", "load_alphabet",
    "save_alphabet",
]
