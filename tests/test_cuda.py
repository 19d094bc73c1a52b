"""The CUDA paths: every meta-learner computes the same loss and gradients on the GPU as on the CPU, adapts
there, and ``train(device=CUDA)`` checkpoints and resumes.

Skipped where there is no GPU (CI has none). On a GPU machine: ``pytest tests/test_cuda.py``.
``MLKIT_TEST_DEVICE=cpu`` runs the same checks CPU against CPU (to check the tests themselves).
"""
import copy
import os

import pytest
import torch

from mlkit.checkpoint import load_meta_learner
from mlkit.learners import MLP
from mlkit.meta import METHODS
from mlkit.meta.leo import LEO
from mlkit.recipes import build
from mlkit.tasks import make_tasks
from mlkit.train import train

CUDA = torch.device(os.environ.get("MLKIT_TEST_DEVICE", "cuda"))
pytestmark = pytest.mark.skipif(CUDA.type == "cuda" and not torch.cuda.is_available(), reason="no CUDA device")
STOCHASTIC = ("mtnet", "mnet", "mtnet-full", "mnet-full", "leo")  # CPU and CUDA random streams differ


@pytest.fixture(autouse=True)
def exact_float32():
    """TF32 would make GPU matrix products differ from the CPU's by ~1e-3: compare in full float32."""
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def _setup(method: str):
    """A fresh ``method`` and one batch of its kind of tasks (sine for the gradient family, glyph images else)."""
    torch.manual_seed(0)
    if method == "leo":
        from mlkit.tasks import EpisodeSampler
        from mlkit.tasks.features import FeatureDataset

        vectors = torch.nn.functional.normalize(torch.randn(8, 6, 10), dim=-1)  # [classes, per_class, D]
        data = FeatureDataset(vectors, [f"c{i}" for i in range(8)], "train", "toy")
        return LEO(MLP((10, 3)), k_shot=1, latent_dim=4), EpisodeSampler(data, 3, 1, 5, meta_batch=4, seed=3).sample()
    sine = make_tasks("sine", k_shot=5, q_query=5, meta_batch=4, seed=0)
    try:
        meta, batch = build(method, sine), sine.sample()
        meta.adapt(batch.x_support, batch.y_support)
        return meta, batch
    except ValueError:  # a method for classification only: glyph episodes
        glyphs = make_tasks("glyphs", k_shot=2, q_query=3, meta_batch=2, n_way=3, seed=0)
        return build(method, glyphs), glyphs.sample()


def _gradients(meta, batch) -> tuple[float, dict[str, torch.Tensor]]:
    meta.zero_grad(set_to_none=True)
    loss = meta.meta_loss(batch)
    loss.backward()
    return loss.item(), {n: p.grad.detach().cpu() for n, p in meta.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_loss_and_gradients_on_the_gpu_match_the_cpu(method):
    meta, batch = _setup(method)
    if not hasattr(meta, "meta_loss"):
        pytest.skip(f"{method} has no meta-loss")
    on_gpu = copy.deepcopy(meta).to(CUDA)
    torch.manual_seed(1)
    cpu_loss, cpu_grads = _gradients(meta, batch)
    torch.manual_seed(1)
    gpu_loss, gpu_grads = _gradients(on_gpu, batch.to(CUDA))
    assert set(gpu_grads) == set(cpu_grads)
    if method in STOCHASTIC and CUDA.type == "cuda":  # different draws: finite, same parameters reached
        assert all(torch.isfinite(g).all() for g in gpu_grads.values())
        return
    assert gpu_loss == pytest.approx(cpu_loss, rel=1e-4, abs=1e-6)
    for name, grad in cpu_grads.items():
        torch.testing.assert_close(gpu_grads[name], grad, rtol=1e-3, atol=1e-5, msg=f"{method}: {name}")


@pytest.mark.parametrize("method", sorted(METHODS))
def test_adapt_and_predict_on_the_gpu_match_the_cpu(method):
    meta, batch = _setup(method)
    on_gpu = copy.deepcopy(meta).to(CUDA)
    torch.manual_seed(1)
    cpu_out = meta.adapt(batch.x_support, batch.y_support).predict(batch.x_query)
    torch.manual_seed(1)
    gpu_batch = batch.to(CUDA)
    gpu_out = on_gpu.adapt(gpu_batch.x_support, gpu_batch.y_support).predict(gpu_batch.x_query)
    assert gpu_out.device.type == CUDA.type and gpu_out.shape == cpu_out.shape
    if method in STOCHASTIC and CUDA.type == "cuda":
        return  # stochastic masks / latents: same shapes, different draws
    if gpu_out.is_floating_point():
        torch.testing.assert_close(gpu_out.cpu(), cpu_out, rtol=1e-3, atol=1e-4)
    else:  # class indices: allow a near-tie to flip at most one query
        assert (gpu_out.cpu() != cpu_out).sum() <= 1


def test_train_on_cuda_checkpoints_and_resumes(tmp_path):
    sampler = make_tasks("sine", k_shot=5, q_query=5, meta_batch=4, seed=0)
    torch.manual_seed(0)
    meta = build("maml", sampler)
    history = train(meta, sampler, 20, device=CUDA, checkpoint=tmp_path / "run.pt", checkpoint_every=10,
                    seed=0, progress=False)
    assert next(meta.parameters()).device.type == CUDA.type and len(history.train_loss) > 0
    loaded = load_meta_learner(tmp_path / "run.pt")  # written from the GPU, read on the CPU
    assert next(loaded.parameters()).device.type == "cpu"
    for (name, a), (_, b) in zip(meta.state_dict().items(), loaded.state_dict().items()):
        torch.testing.assert_close(a.cpu(), b, msg=name)

    torch.manual_seed(0)
    again = build("maml", make_tasks("sine", k_shot=5, q_query=5, meta_batch=4, seed=0))
    train(again, make_tasks("sine", k_shot=5, q_query=5, meta_batch=4, seed=0), 10, device=CUDA,
          checkpoint=tmp_path / "half.pt", checkpoint_every=10, seed=0, progress=False)
    resumed = build("maml", make_tasks("sine", k_shot=5, q_query=5, meta_batch=4, seed=0))
    train(resumed, make_tasks("sine", k_shot=5, q_query=5, meta_batch=4, seed=0), 20, device=CUDA,
          checkpoint=tmp_path / "half.pt", checkpoint_every=10, seed=0, progress=False,
          allow_changed_settings=True)  # 10 steps -> 20: a longer run than the checkpoint's
    for (name, a), (_, b) in zip(meta.state_dict().items(), resumed.state_dict().items()):
        torch.testing.assert_close(a, b, msg=f"resumed run differs at {name}")
