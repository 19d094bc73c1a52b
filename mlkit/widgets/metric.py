"""The ways / shots / distance explorer of notebook 07: re-score one test episode with a Prototypical Network.

The episode is drawn once, 20-way with 10 support and 10 query images per class (``mlkit.live.metric.view_episode``);
the sliders cut an N-way K-shot episode out of it (its first N classes, their first K support images, all their
queries), so every setting shares images and only N, K and the distance change. Each move embeds the smaller episode
(support and queries in one pass, as the method does), recomputes the prototypes (Snell, Swersky & Zemel 2017,
eq. 1) and the nearest-prototype decisions (eq. 2, with the squared Euclidean distance or the cosine distance 1 - cos),
prints the accuracy and draws the PCA plane with its decision regions (``mlkit.viz.metric``). Nothing is trained.
"""
from __future__ import annotations

from IPython.display import display

from mlkit.live import approx
from mlkit.live.metric import DISTANCES, PrototypeView, episode_size, prototype_view, sub_episode
from mlkit.meta.metric import MetricLearner
from mlkit.tasks.batch import TaskBatch
from mlkit.viz.metric import plot_prototype_view
from mlkit.widgets import explore


def show_prototypes(meta: MetricLearner, episode: TaskBatch, ways: int = 5, shots: int = 1,
                    distance: str = "euclidean", show: bool = True) -> PrototypeView:
    """Score the ``ways``-way ``shots``-shot cut of ``episode`` by the nearest prototype; print the accuracy (after
    "≈": the model was trained live) and, with ``show``, display the PCA plane with its decision regions."""
    view = prototype_view(meta, sub_episode(episode, ways, shots), distance)
    queries = len(view.y_query)
    print(f"{ways}-way {shots}-shot, {distance} distance: accuracy {approx(view.accuracy, 1, percent=True)} "
          f"of {queries} queries (chance {100 / ways:.1f} %), separation ratio {approx(view.separation)}")
    if show:
        figure, agreement = plot_prototype_view(view)
        display(figure)
        print(f"in the plane, {approx(agreement, 0, percent=True)} of the queries lie in the region of the class "
              f"they are given in the full space")
    return view


def prototype_explorer(meta: MetricLearner, episode: TaskBatch, ways: int = 5, shots: int = 1,
                       distance: str = "euclidean"):
    """Sliders "ways N" and "shots K" (up to the episode's size: 20 and 10 for ``view_episode``) and a "distance"
    menu driving ``show_prototypes``."""
    from ipywidgets import Dropdown, IntSlider

    most_ways, most_shots, _ = episode_size(episode)

    def redraw(ways: int, shots: int, distance: str) -> None:
        show_prototypes(meta, episode, ways, shots, distance)

    return explore(
        redraw,
        ways=IntSlider(value=ways, min=2, max=most_ways, description="ways N"),
        shots=IntSlider(value=shots, min=1, max=most_shots, description="shots K"),
        distance=Dropdown(options=list(DISTANCES), value=distance, description="distance"),
    )
