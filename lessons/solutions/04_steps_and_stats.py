"""Lesson 04, exercises 2 and 3: the shipped 5-shot model with other numbers of updates, and without running
batch-norm statistics, on the same 100 test episodes (5-way, 15 queries per class)."""
from mlkit.checkpoint import read_checkpoint
from mlkit.evaluate import evaluate
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.widgets.gates import CHECKPOINTS, load_gate_model, test_split


def main(shots: int = 5, n_tasks: int = 100, seed: int = 1) -> dict:
    meta = load_gate_model(shots)
    _, dataset = test_split(read_checkpoint(CHECKPOINTS / f"lstm-meta-{shots}shot.pt").get("data", "glyphs"))
    runs = {f"T = {t}": {"steps": t} for t in (3, meta.steps, 8)}
    runs[f"T = {meta.steps}, batch statistics for the query"] = {"running_stats": False}
    accuracy = {}
    for label, kwargs in runs.items():
        sampler = EpisodeSampler(dataset, n_way=5, k_shot=shots, q_query=15, meta_batch=1, seed=seed)
        score = evaluate(meta, sampler, n_tasks=n_tasks, chunk=25, record=False, **kwargs)
        accuracy[label] = 100 * score.mean
        print(f"{label:<45} accuracy {100 * score.mean:.1f} ± {100 * score.ci95:.1f} %")
    return accuracy


if __name__ == "__main__":
    main()
