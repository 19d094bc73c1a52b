"""Lesson 05, exercise 2: what happens to B when batches (0) and (1) are the same batch.

With one batch used twice, the product in the first-order term is H(0)g(0), whose expectation is
C = E[H(0) g(0)] = ½ E[∇‖g(0)‖²], not B = ½ E[∇(g(0)·g(1))]. Per task, E‖g(0)‖² = ‖ḡ‖² + tr Cov(g(0)), so
C − B = ½ ∇ E[tr Cov(g(0))]. A meta-step θ ← θ − β·g follows +αC: besides aligning the gradients of a task (B) it
now also grows the batch's own gradient noise, i.e. it rewards one step that fits *that* batch, not the task.
We measure B and C over many sine tasks and check that with the schedule (0, 0) every method's first-order term
is c·C with (FOMAML, MAML, Reptile) c = (1, 2, 1).
"""
import numpy as np

from mlkit.analysis import METHODS, expectations, split_batches
from mlkit.tasks import SineTasks
from mlkit.live.reptile import demo_learner


def main(alpha: float = 1e-3, n_tasks: int = 1000, seed: int = 0) -> dict:
    tasks = SineTasks(k_shot=10, q_query=10, meta_batch=10, seed=seed + 200)
    sample_two = lambda n: split_batches(tasks.sample(n), 2)  # noqa: E731, batches (0) and (1)
    sample_one = lambda n: split_batches(tasks.sample(n), 2)[:1]  # noqa: E731, batch (0) only
    different = expectations(demo_learner(), "regression", sample_two, alpha, n_tasks=n_tasks, chunk=500, k=2)
    same = expectations(demo_learner(), "regression", sample_one, alpha, n_tasks=n_tasks, chunk=500, schedule=(0, 0))
    b, c = different.B.mean, same.C.mean
    cosine = float(b @ c / (np.linalg.norm(b) * np.linalg.norm(c)))
    print(f"|B| = {np.linalg.norm(b):.2f}  |C| = {np.linalg.norm(c):.2f}  cos(B, C) = {cosine:.2f}")
    out = {"B_norm": float(np.linalg.norm(b)), "C_norm": float(np.linalg.norm(c)), "cos_B_C": cosine}
    for m in METHODS:
        value, se = same.measured[m]["C"]
        print(f"{m:8s} schedule (0, 0): coefficient of -alpha*C derived {same.coefficients[m][2]}, measured {value:.2f} ± {se:.2f}")
        out[m] = {"derived": same.coefficients[m][2], "measured": (value, se)}
    return out


if __name__ == "__main__":
    main()
