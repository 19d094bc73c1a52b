"""Lesson 04, exercise 1: do the input gates depend on the episode, or mostly on the update index?

With a shipped model, on 20 test episodes, three spreads of each layer's input gate i_t (standard deviations):
- across episodes: at a fixed update and coordinate, averaged over both;
- across updates: of the curve averaged over episodes and the layer's coordinates;
- across coordinates: at a fixed update and episode, averaged over both.
If the first is much smaller than the others, the meta-learner mostly follows a fixed schedule.
"""
from mlkit.checkpoint import read_checkpoint
from mlkit.tasks.episodes import EpisodeSampler
from mlkit.widgets.gates import CHECKPOINTS, load_gate_model, test_split


def main(shots: int = 1, n_episodes: int = 20, seed: int = 0) -> dict:
    meta = load_gate_model(shots)
    _, dataset = test_split(read_checkpoint(CHECKPOINTS / f"lstm-meta-{shots}shot.pt").get("data", "glyphs"))
    batch = EpisodeSampler(dataset, n_way=5, k_shot=shots, q_query=15, meta_batch=n_episodes, seed=seed).sample()
    inputs = meta.adapt(batch.x_support, batch.y_support).extras["input"]  # [steps, episodes, n]
    spreads = {}
    for layer, where in meta.layer_slices().items():
        gate = inputs[:, :, where]  # [steps, episodes, coordinates of the layer]
        spreads[layer] = {
            "across_episodes": float(gate.std(1).mean()),
            "across_updates": float(gate.mean((1, 2)).std()),
            "across_coordinates": float(gate.std(2).mean()),
        }
        row = spreads[layer]
        print(f"{layer}: std across episodes {row['across_episodes']:.4f}, across updates "
              f"{row['across_updates']:.4f}, across coordinates {row['across_coordinates']:.4f}")
    return spreads


if __name__ == "__main__":
    main()
