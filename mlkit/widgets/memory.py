"""The sequence explorer of notebook 08: a MANN's accuracy by instance (Santoro et al. 2016, Table 1) on held-out
Omniglot sequences of a chosen number of classes and images per class.

Move "classes" (how many characters the sequence mixes, up to the network's one-hot size N) and "length" (images of
each class, so the sequence has classes × length steps) and see the accuracy at the 1st, 2nd, ... image of a class,
with the control of the same sequences with another episode's images (``mlkit.live.memory``).
"""
from __future__ import annotations

from typing import Any

from IPython.display import display

from mlkit.checks import check_int
from mlkit.live.memory import accuracy_by_instance, characters
from mlkit.meta.mann import MANN
from mlkit.viz.memory import plot_instance_accuracy
from mlkit.widgets import explore

MAX_LENGTH = 15  # images per class in a sequence (Omniglot has 20 per character; one is left for a query)


def _scores(meta: MANN, classes: int, length: int, n_episodes: int, seed: int) -> tuple[dict, dict]:
    classes = check_int("classes", classes, 2, meta.n_way)
    length = check_int("length", length, 1, MAX_LENGTH)
    real = accuracy_by_instance(meta, classes, length, n_episodes, seed)
    control = accuracy_by_instance(meta, classes, length, n_episodes, seed, shuffle_images=True)
    return real, control


def _summary(real: dict, classes: int) -> str:
    """``accuracy = ...`` over every image after a class's first, the first images' accuracy and chance."""
    repeats = [real[i].mean for i in real if i > 1]
    later = f"accuracy = {100 * sum(repeats) / len(repeats):.1f} % (images after a class's first)" if repeats else \
        "accuracy = – (one image per class: nothing to remember)"
    return f"{later};  first images {100 * real[1].mean:.1f} %;  chance {100 / classes:.1f} %"


def print_instances(meta: MANN, classes: int = 5, length: int = 10, n_episodes: int = 100,
                    seed: int = 0) -> dict[str, Any]:
    """The explorer's numbers without its figure: accuracy at every instance with the shuffled-images control,
    then the ``accuracy = ...`` line; returns the scores."""
    real, control = _scores(meta, classes, length, n_episodes, seed)
    print(f"{classes} classes × {length} images, {n_episodes} held-out sequences (accuracy %, control in brackets):")
    print("  ".join(f"{i}: {100 * real[i].mean:.1f} ({100 * control[i].mean:.1f})" for i in real))
    print(_summary(real, classes))
    return {"real": real, "control": control}


def show_instances(meta: MANN, classes: int = 5, length: int = 10, n_episodes: int = 100, seed: int = 0) -> dict[str, Any]:
    """Plot accuracy by instance on ``n_episodes`` held-out sequences of ``classes`` × ``length`` images, with the
    shuffled-images control; print ``accuracy = ...`` (every image after a class's first) and return the scores."""
    real, control = _scores(meta, classes, length, n_episodes, seed)
    display(plot_instance_accuracy({"MANN": real, "images shuffled (control)": control}, 1 / classes,
                                   f"{classes} classes × {length} images, {n_episodes} held-out sequences"))
    print(_summary(real, classes))
    return {"real": real, "control": control}


def instance_explorer(meta: MANN, classes: int = 5, length: int = 10, n_episodes: int = 100, seed: int = 0):
    """Sliders for the classes per sequence and the images per class; redraws ``show_instances``."""
    import ipywidgets as widgets

    characters("test")  # load the images once, before the first redraw
    return explore(
        show_instances,
        meta=widgets.fixed(meta),
        classes=widgets.IntSlider(value=classes, min=2, max=meta.n_way, description="classes"),
        length=widgets.IntSlider(value=length, min=1, max=MAX_LENGTH, description="length (per class)",
                                 style={"description_width": "initial"}),
        n_episodes=widgets.fixed(n_episodes),
        seed=widgets.fixed(seed),
    )
