"""A static type check (mypy) of the public API as a user's code meets it, and of the modules that define it."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLIENT = '''
from mlkit.evaluate import Score, evaluate
from mlkit.meta import MAML, METHODS, MetaLearner, inner_loop
from mlkit.recipes import build
from mlkit.tasks import EpisodeSampler, Glyphs, Sampler, SineTasks
from mlkit.train import History, train
from mlkit.tuning import select_sgd

tasks: Sampler = SineTasks(k_shot=10, meta_batch=4, seed=0)
episodes: Sampler = EpisodeSampler(Glyphs(split="val"), n_way=5, k_shot=1)
meta: MetaLearner = build("maml", tasks)
history: History = train(meta, tasks, steps=10, val_sampler=tasks.reseeded(1), progress=False)
batch = tasks.sample()
outputs = meta.adapt(batch.x_support, batch.y_support).predict(batch.x_query)
score: Score = evaluate(meta, tasks.reseeded(), n_tasks=10)
method: type[MetaLearner] = METHODS["maml"]
print(score.mean + 1.0, MAML.name, outputs.shape, inner_loop.__name__, select_sgd.__name__)
'''
TYPED = ("mlkit/tasks/sampler.py", "mlkit/meta/inner.py", "mlkit/meta/losses.py", "mlkit/meta/__init__.py",
         "mlkit/tasks/__init__.py", "mlkit/evaluate.py", "mlkit/recipes.py", "mlkit/tuning.py", "mlkit/registry.py")


def test_mypy_accepts_the_public_api(tmp_path):
    pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")
    client = tmp_path / "client.py"
    client.write_text(CLIENT)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache"),
         str(client), *TYPED], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
