"""MANN (Santoro et al. 2016): label offset, LRUA wiring, query independence, meta-training, checkpoints, errors."""
import pytest
import torch

from mlkit.checkpoint import load_meta_learner, save_checkpoint
from mlkit.evaluate import evaluate
from mlkit.learners import MLP, ConvNet
from mlkit.meta import METHODS
from mlkit.meta.mann import MANN, repeated
from mlkit.meta.memory import cosine_weights
from mlkit.recipes import build
from mlkit.tasks import EpisodeSampler
from mlkit.tasks.batch import TaskBatch
from mlkit.tasks.glyphs import Glyphs
from mlkit.train import train

SMALL = dict(memory_slots=8, key_size=6, controller_size=16, read_heads=2)


def _meta(n_way=3, seed=0, **options):
    torch.manual_seed(seed)
    learner = ConvNet(1, n_way, hidden=4, image_size=16, downsample="stride")
    return MANN(learner, **{**SMALL, **options})


@pytest.fixture(scope="module")
def glyphs():
    return {split: Glyphs(split, n_alphabets=10, chars_per_alphabet=20, per_class=12) for split in ("train", "val")}


def test_it_is_registered_and_built_by_the_recipe(glyphs):
    assert METHODS["mann"] is MANN
    meta = build("mann", EpisodeSampler(glyphs["train"], 5, 1, 5, meta_batch=4, seed=0), **SMALL)
    assert meta.n_way == 5 and meta.controller.input_size == meta.learner.features + 5 + 2 * 6


def test_the_label_arrives_one_step_late():
    meta = _meta()
    features = torch.randn(2, 5, meta.learner.features)  # [T, S, F]
    labels = torch.tensor([[0, 1, 2, 0, 1], [2, 2, 0, 1, 0]])
    changed = labels.clone()
    changed[:, 2] = (labels[:, 2] + 1) % 3  # another label for step 2 only
    with torch.no_grad():
        logits, state = meta.run_support(features, labels)  # [T, S, N]
        logits2, state2 = meta.run_support(features, changed)
        query = torch.randn(2, 4, meta.learner.features)
        q, q2 = meta.query_logits(state, query), meta.query_logits(state2, query)
    torch.testing.assert_close(logits[:, :3], logits2[:, :3])  # steps 0..2 never saw y_2
    assert (logits[:, 3] - logits2[:, 3]).abs().min() > 1e-6  # step 3 gets it as input
    assert (q - q2).abs().max() > 1e-6  # and the queries see it through the state
    last = labels.clone()
    last[:, -1] = (labels[:, -1] + 1) % 3  # the last support label only enters with the extra step
    with torch.no_grad():
        logits3, state3 = meta.run_support(features, last)
    torch.testing.assert_close(logits3, logits)
    assert (meta.query_logits(state3, query) - q).abs().max() > 1e-6


def test_the_first_step_writes_to_the_least_used_slot_then_reads():
    meta = _meta(read_heads=1)
    x, label = torch.randn(3, meta.learner.features), torch.zeros(3, 3)
    state = meta.initial_state(3, x)
    with torch.no_grad():
        _, new = meta.step(x, label, state)
        h, _ = meta.controller(torch.cat([x, label, state.read], -1), (state.h, state.c))
        key = torch.tanh(meta.key(h))  # [B, key]
    gate = torch.sigmoid(meta.alpha).item()
    expected = torch.full((3, 8, 6), 1e-6)  # initial memory; usage all 0: slot 0 is least used (lowest index)
    expected[:, 0] = (1 - gate) * key  # zeroed, then w^w = σ(α)·0 + (1 − σ(α))·onehot(0)
    torch.testing.assert_close(new.memory, expected)
    weights = cosine_weights(key.unsqueeze(1), expected)  # [B, 1, slots], read from M_1
    torch.testing.assert_close(new.read_weights, weights)
    write = torch.zeros(3, 8)
    write[:, 0] = 1 - gate
    torch.testing.assert_close(new.usage, weights[:, 0] + write)  # γ·0 + w^r + w^w
    torch.testing.assert_close(new.read, (weights @ expected).flatten(1))


def test_queries_are_answered_independently_of_each_other():
    meta = _meta()
    x, y = torch.rand(2, 6, 1, 16, 16), torch.tensor([[0, 1, 2, 0, 1, 2]] * 2)
    queries = torch.rand(2, 7, 1, 16, 16)
    predictor = meta.adapt(x, y)
    everything = predictor.outputs(queries)  # [T, Q, N]
    order = torch.tensor([6, 2, 0, 5, 1, 4, 3])
    torch.testing.assert_close(predictor.outputs(queries[:, order]), everything[:, order])
    torch.testing.assert_close(predictor.outputs(queries[:, 2:3]), everything[:, 2:3])
    torch.testing.assert_close(everything.sum(-1), torch.ones(2, 7))  # class probabilities


def test_tasks_are_batched_and_the_support_order_is_a_fixed_draw():
    meta = _meta()
    x, y, queries = torch.rand(3, 6, 1, 16, 16), torch.tensor([[0, 1, 2, 0, 1, 2]] * 3), torch.rand(3, 4, 1, 16, 16)
    together = meta.adapt(x, y, seed=None).outputs(queries)
    for t in range(3):
        alone = meta.adapt(x[t : t + 1], y[t : t + 1], seed=None).outputs(queries[t : t + 1])
        torch.testing.assert_close(alone, together[t : t + 1], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(meta.adapt(x, y).outputs(queries), meta.adapt(x, y).outputs(queries))
    assert not torch.allclose(meta.adapt(x, y, seed=3).outputs(queries), together)  # order matters to an RNN


def test_support_steps_count_once_their_class_was_shown():
    assert repeated(torch.tensor([[2, 0, 2, 1, 0, 2]])).tolist() == [[False, False, True, False, True, True]]
    x, xq = torch.rand(2, 3, 1, 16, 16), torch.rand(2, 6, 1, 16, 16)
    one_shot = TaskBatch(x, torch.tensor([[0, 1, 2]] * 2), xq, torch.tensor([[0, 0, 1, 1, 2, 2]] * 2))
    losses = []
    for support_loss in (True, False):
        meta = _meta(support_loss=support_loss)
        torch.manual_seed(5)
        losses.append(meta.meta_loss(one_shot).item())
    assert losses[0] == pytest.approx(losses[1], abs=1e-6)  # 1-shot: no support step is scored


def test_meta_training_on_glyph_episodes_raises_held_out_accuracy(glyphs):
    """3-way 3-shot: the support steps after a class's first showing are scored too, which gets the model off its
    initial plateau in ~200 meta-steps (1-shot, with the queries only, had not left it after 1000). α = −3 starts
    the writes mostly on the least-used slot. Measured: 33.3 % before, 59.5 % after (seeds 1-7: 53-61 %; seed 0
    was still on the plateau at 40 %)."""
    torch.manual_seed(2)
    meta = MANN(ConvNet(1, 3, hidden=16, image_size=28, downsample="stride"), meta_lr=1e-2, memory_slots=16,
                key_size=16, controller_size=32, read_heads=1, alpha=-3.0)
    sampler = EpisodeSampler(glyphs["train"], 3, 3, 3, meta_batch=8, seed=2)
    held_out = EpisodeSampler(glyphs["val"], 3, 3, 5, meta_batch=8, seed=100)  # classes unseen in training
    before = evaluate(meta, held_out, n_tasks=100)
    history = train(meta, sampler, 200, device="cpu", seed=2, progress=False)
    held_out.generator.manual_seed(held_out.seed)
    after = evaluate(meta, held_out, n_tasks=100)  # the same 100 episodes
    assert not history.diverged
    assert before.mean < 0.40 and after.mean > 0.45 and after.mean > before.mean + 0.12, (before.mean, after.mean)


def test_checkpoint_round_trip_gives_identical_predictions(tmp_path):
    meta = _meta(gamma=0.9, alpha=0.5, support_loss=False)
    with torch.no_grad():
        meta.alpha.add_(0.3)
        meta.output.bias.add_(torch.tensor([0.5, -0.2, 0.1]))
    save_checkpoint(tmp_path / "mann.pt", meta)
    loaded = load_meta_learner(tmp_path / "mann.pt")
    assert isinstance(loaded, MANN) and loaded.config() == meta.config()
    assert loaded.hparams["gamma"] == 0.9 and loaded.support_loss is False
    x, y, queries = torch.rand(2, 6, 1, 16, 16), torch.tensor([[0, 1, 2, 0, 1, 2]] * 2), torch.rand(2, 5, 1, 16, 16)
    torch.testing.assert_close(loaded.adapt(x, y).outputs(queries), meta.adapt(x, y).outputs(queries), rtol=0, atol=0)


def test_bad_inputs_name_the_parameter():
    learner = ConvNet(1, 3, hidden=4, image_size=16)
    for options, name in [
        ({"memory_slots": 0}, "memory_slots must be an integer >= 1"),
        ({"key_size": -1}, "key_size must be an integer >= 1"),
        ({"controller_size": 0}, "controller_size must be an integer >= 1"),
        ({"memory_slots": 4, "read_heads": 5}, "read_heads must be an integer >= 1 and <= 4"),
        ({"gamma": 1.5}, "gamma must be a finite number in"),
        ({"support_loss": "yes"}, "support_loss must be one of"),
    ]:
        with pytest.raises(ValueError, match=f"^{name}"):
            MANN(learner, **options)
    with pytest.raises(ValueError, match="^task_type must be one of 'classification'"):
        MANN(learner, "regression")
    with pytest.raises(ValueError, match="^learner must be a ConvNet"):
        MANN(MLP((4, 3)))
    meta = _meta()
    x = torch.rand(1, 4, 1, 16, 16)
    with pytest.raises(ValueError, match=r"^y_support labels must be in 0..2 \(n_way = 3"):
        meta.adapt(x, torch.tensor([[0, 1, 2, 3]]))  # a 4th class for a 3-way model
    with pytest.raises(ValueError, match="^y_support must be int64 labels"):
        meta.adapt(x, torch.tensor([[0.0, 1.0, 2.0, 0.0]]))
    with pytest.raises(ValueError, match=r"^x_support must be images \[tasks, examples, 1, 16, 16\]"):
        meta.adapt(torch.rand(1, 4, 1, 28, 28), torch.tensor([[0, 1, 2, 0]]))
    with pytest.raises(ValueError, match="^x_query must hold the 1 tasks"):
        meta.adapt(x, torch.tensor([[0, 1, 2, 0]])).predict(torch.rand(2, 3, 1, 16, 16))
