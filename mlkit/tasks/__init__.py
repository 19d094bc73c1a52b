"""Tasks: regression families, image datasets and the episode sampler, all handing out ``TaskBatch``es."""
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.tasks.images import ImageDataset
from mlkit.tasks.registry import TASK_FAMILIES, make_dataset, make_tasks
from mlkit.tasks.regression import PolynomialTasks, RegressionTasks, SineTasks

__all__ = [
    "TaskBatch", "EpisodeSampler", "ImageDataset", "SineTasks", "PolynomialTasks", "RegressionTasks",
    "make_tasks", "make_dataset", "TASK_FAMILIES", "Glyphs", "Omniglot", "MiniImageNet", "Digits", "FeatureDataset",
]


def __getattr__(name: str):
    """Image datasets are imported on first use (Pillow and scikit-learn load only when needed)."""
    modules = {
        "Glyphs": "glyphs", "Omniglot": "omniglot", "MiniImageNet": "miniimagenet", "Digits": "digits",
        "FeatureDataset": "features",
    }
    if name in modules:
        import importlib

        return getattr(importlib.import_module(f"mlkit.tasks.{modules[name]}"), name)
    raise AttributeError(f"module 'mlkit.tasks' has no attribute {name!r}")
