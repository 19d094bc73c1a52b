"""Notebook 04's machinery: the LSTM meta-learner of Ravi & Larochelle (2017) trained live, its gates, and the
shipped meta-learner against the two baselines of their §5.1 on harder test episodes.

The data are the shipped Omniglot subsets split by *character* (``mlkit.experiments.lstm_omniglot.load_data``), the
split the shipped models were trained on: every alphabet appears in training, validation and test, with different
characters. Two kinds of 5-way test episodes are drawn from the test characters:

- ``within_alphabet=False``: the five classes come from any alphabets (the protocol of the reproduction's table);
  characters of different alphabets rarely look alike, every method is above 92 % at 1-shot and the differences
  between methods are about one point;
- ``within_alphabet=True``: the five classes come from one alphabet, as in Lake et al.'s (2015) one-shot task:
  similar-looking characters, lower accuracies, and the meta-learner's lead over the baselines about three times
  larger.

What the notebook shows, and ``tests/live/test_lstm.py`` checks through these same functions:

- the live race (``mlkit.exercises.lstm.race_lstm``, built on ``build_demo`` and ``episodes``): the student's
  meta-learner and mlkit's, trained side by side on 5-shot episodes of a small learner, have the same training
  losses, and mlkit's (the same numbers) learns: its validation accuracy rises and its input gates, measured by
  ``mean_gates``, grow from the initial step of about 0.01;
- ``compare_with_baselines``: the shipped meta-learner beats fine-tuning and the nearest neighbour (the joint
  classifier shipped beside it) on the same within-alphabet test episodes, paired by episode, 95% intervals above
  zero.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from mlkit.checkpoint import load_meta_learner
from mlkit.checks import check_choice, check_int
from mlkit.evaluate import Score, evaluate
from mlkit.experiments import lstm_omniglot
from mlkit.experiments.report import load_result
from mlkit.learners import ConvNet
from mlkit.meta.base import MetaLearner
from mlkit.meta.finetune import FineTune
from mlkit.meta.lstm_meta import LSTMMetaLearner
from mlkit.meta.nearest_neighbour import NearestNeighbour
from mlkit.tasks.episodes import EpisodeSampler

CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
JOINT = CHECKPOINTS / "lstm-omniglot-joint.pt"  # the baselines' joint classifier (reproduce lstm-omniglot)
SHOTS = (1, 5)
METHODS = ("lstm-meta", "finetune", "nearest-neighbour")
LABELS = lstm_omniglot.LABELS
DEMO_FILTERS = 8  # the live run's learner: 4 blocks of 8 filters (1909 weights: the LSTM's cell state)
DEMO_META_LR = 3e-3  # the live run's Adam step (the paper's 1e-3 needs about three times as many episodes)
QUICK_ITERATIONS = 100  # meta-iterations (one episode each) of the live race in quick mode
FULL_ITERATIONS = 300  # the race in full mode: in float64 two correct runs stay equal for about 400 episodes
TEST_EPISODES = 75  # within-alphabet test episodes behind the live comparison of the shipped models (quick mode)


@lru_cache(maxsize=1)
def character_split() -> dict:
    """The shipped Omniglot subsets split by character (train with rotated copies, val, test), read once."""
    return lstm_omniglot.load_data()


def episodes(split: str, shots: int, seed: int, within_alphabet: bool = False, meta_batch: int = 1) -> EpisodeSampler:
    """5-way ``shots``-shot episodes with 15 queries per class from one split of the character split."""
    check_choice("split", split, ("train", "val", "test"))
    return EpisodeSampler(character_split()[split], n_way=5, k_shot=check_choice("shots", shots, SHOTS), q_query=15,
                          meta_batch=meta_batch, seed=seed, within_alphabet=within_alphabet)


# ----- the live run -------------------------------------------------------------------------------------------

def build_demo(shots: int = 5, seed: int = 0) -> LSTMMetaLearner:
    """A fresh meta-learner for ``shots``-shot episodes (T = 12 updates for 1-shot, 5 for 5-shot, Ravi & Larochelle
    2017, §5.1) over a ConvNet of 4 blocks of ``DEMO_FILTERS`` filters; initial weights from ``seed``."""
    torch.manual_seed(check_int("seed", seed, 0))
    shots = check_choice("shots", shots, SHOTS)
    learner = ConvNet(1, 5, hidden=DEMO_FILTERS, image_size=28, downsample="maxpool")
    return LSTMMetaLearner(learner, meta_lr=DEMO_META_LR, steps=lstm_omniglot.STEPS[shots],
                           bn_momentum=lstm_omniglot.BN_MOMENTUM[shots])


def mean_gates(meta: LSTMMetaLearner, shots: int, n_episodes: int = 20, seed: int = 0) -> dict[str, torch.Tensor]:
    """The forget and input gates averaged over every coordinate and ``n_episodes`` validation episodes, per
    update, and the query accuracy of each episode after the T updates (running batch-norm statistics, §3.4):
    ``{"forget": [T], "input": [T], "accuracy": [n_episodes]}``."""
    batch = episodes("val", shots, seed, meta_batch=check_int("n_episodes", n_episodes, 1)).sample()
    predictor = meta.adapt(batch.x_support, batch.y_support)
    accuracy = (predictor.predict(batch.x_query) == batch.y_query).float().mean(1)  # [episodes]
    extras = predictor.extras  # forget, input: [T, episodes, n]
    return {**{gate: extras[gate].mean((1, 2)) for gate in ("forget", "input")}, "accuracy": accuracy}


# ----- the shipped models against the baselines ----------------------------------------------------------------

@lru_cache(maxsize=None)
def load_shipped(method: str, shots: int) -> MetaLearner:
    """A shipped model in eval mode: the meta-learner of ``shots``-shot episodes, or a baseline built on the joint
    classifier over the 656 training classes (fine-tuning: T SGD steps whose step size and decay the reproduction
    chose on validation episodes, §5.1; nearest neighbour: 1-NN in its embedding)."""
    check_choice("method", method, METHODS)
    shots = check_choice("shots", shots, SHOTS)
    if method == "lstm-meta":
        return load_meta_learner(CHECKPOINTS / f"lstm-meta-{shots}shot.pt").eval()
    joint = load_meta_learner(JOINT)
    model: MetaLearner
    if method == "nearest-neighbour":
        model = NearestNeighbour(joint.learner, "classification")
    else:
        chosen = load_result(lstm_omniglot.NAME)["per_shot"][str(shots)]["finetune_search"]
        model = FineTune(joint.learner, "classification", steps=lstm_omniglot.STEPS[shots], lr=chosen["lr"],
                         decay=chosen["decay"])
    return model.eval()


def compare_with_baselines(shots: int = 1, n_episodes: int = TEST_EPISODES, within_alphabet: bool = True,
                           seed: int = lstm_omniglot.TEST_SEED) -> dict[str, Score]:
    """Accuracy of the shipped meta-learner and of the two baselines on the same ``n_episodes`` test episodes
    (per-episode accuracies in ``Score.values``, for ``mlkit.live.sine.paired_gap``)."""
    sampler = episodes("test", shots, seed, within_alphabet)
    n_episodes = check_int("n_episodes", n_episodes, 1)
    return {m: evaluate(load_shipped(m, shots), sampler.reseeded(), n_tasks=n_episodes, chunk=25) for m in METHODS}
