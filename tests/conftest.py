"""Shared fixtures.

``shared_data`` is the folder of real data beside the project (``../shared/data``, or ``$MLKIT_SHARED_DATA``).
Tests that need it skip on a laptop without it, but FAIL under ``CI=true``: a missing folder in CI is a
broken set-up, not a reason to go green.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from browser_report import print_report

ROOT = Path(__file__).resolve().parents[1]
STARTED = time.time()


def _shared_data() -> Path:
    return Path(os.environ.get("MLKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = _shared_data()
    if not (path / "omniglot").is_dir():
        message = f"shared data folder not found at {path} (set MLKIT_SHARED_DATA)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " -- CI=true, so this is an error, not a skip")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def omniglot_zips() -> list[Path]:
    """The two small Omniglot background subsets shipped inside the package (no ../shared needed)."""
    return sorted((ROOT / "mlkit" / "data" / "omniglot").glob("images_background_small*.zip"))


def pytest_configure(config):
    """One intra-op thread: the tensors in tests are tiny, and on a busy 2-core machine OpenMP threads
    spin-wait on each other (an evaluation measured 25x slower with 2 threads under load)."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def toy_leo():
    """A small untrained LEO (10-d features, 3-way 1-shot, 4 latents) and a seeded sampler of toy feature episodes,
    shared by the tests of mlkit/viz/leo.py and mlkit/widgets/leo.py."""
    import torch
    import torch.nn.functional as F

    from mlkit.learners import MLP
    from mlkit.meta.leo import LEO
    from mlkit.tasks import EpisodeSampler
    from mlkit.tasks.features import FeatureDataset

    torch.manual_seed(0)
    meta = LEO(MLP((10, 3)), k_shot=1, latent_dim=4)
    generator = torch.Generator().manual_seed(0)
    vectors = F.normalize(torch.randn(8, 6, 10, generator=generator), dim=-1)  # [classes, per_class, D]
    data = FeatureDataset(vectors, [f"c{i}" for i in range(8)], "val", "toy")
    return meta, EpisodeSampler(data, 3, 1, 5, meta_batch=4, seed=3)


def pytest_terminal_summary(terminalreporter) -> None:
    print_report(terminalreporter, written_since=STARTED)  # the browser test's, when it ran in this run
