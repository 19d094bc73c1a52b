"""Figure 2 machinery of notebook 06: codes of many tasks, joint t-SNE, k-NN class purity."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from mlkit.viz.leo import (collect_codes, dimensions, joint_tsne, knn_purity, pick_classes, plot_figure2,
                           plot_latent_steps, purity_table)

D, N, NZ = 10, 3, 4  # the sizes of the toy_leo fixture (tests/conftest.py)


def test_knn_purity_counts_same_class_neighbours():
    points = np.array([[0.0], [1.0], [10.0], [11.0]])
    assert knn_purity(points, np.array([0, 0, 1, 1]), k=1) == 1.0
    assert knn_purity(points, np.array([0, 1, 0, 1]), k=1) == 0.0
    assert knn_purity(points, np.array([0, 0, 1, 1]), k=2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="k must be an integer >= 1 and <= 3"):
        knn_purity(points, np.array([0, 0, 1, 1]), k=4)


def test_collect_codes_and_figure(toy_leo):
    meta, sampler = toy_leo
    codes = collect_codes(meta, sampler, n_tasks=10, chunk=4)
    assert codes["z"].shape == codes["z_adapted"].shape == (30, NZ)
    assert codes["classes"].shape == codes["tasks"].shape == (30,) and codes["tasks"].max() == 9
    again = collect_codes(meta, sampler, n_tasks=10, chunk=4)  # the sampler is reset: the same tasks
    np.testing.assert_array_equal(codes["classes"], again["classes"])
    table = purity_table(codes, ks=(1, 3))
    assert set(table) == {"z", "z_adapted", "chance"} and all(0 <= v <= 1 for d in table.values() for v in d.values())
    before, after = joint_tsne(codes, perplexity=5.0)
    assert before.shape == after.shape == (30, 2)
    highlight = pick_classes(codes["classes"], 2, seed=0)
    assert len(set(highlight)) == 2
    fig = plot_figure2(codes, before, after, highlight, [f"c{i}" for i in range(8)], title="The takeaway")
    assert len(fig.axes) == 4 and fig.axes[2].get_title().startswith("(c) c")
    assert fig._suptitle.get_text() == "The takeaway"
    assert dimensions(meta) == {"theta": N * D, "z": N * NZ,
                                "meta_parameters": D * NZ + 3 * (2 * NZ) ** 2 + NZ * 2 * D + NZ + D}



def test_latent_steps_plot_draws_a_dashed_and_a_solid_line_per_model(toy_leo):
    from mlkit.live.leo import latent_steps_table

    meta, sampler = toy_leo
    table = latent_steps_table(meta, sampler, n_tasks=6, steps=(0, 1, 3))
    assert table["finetune_steps"] == [0, meta.finetune_steps] and set(table["accuracy"]["0"]) == {"0", "1", "3"}
    fig = plot_latent_steps({"toy": table, "again": table}, "A takeaway")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4 and [ln.get_linestyle() for ln in lines] == ["--", "-", "--", "-"]
    assert fig.axes[0].get_title() == "A takeaway" and fig.axes[0].get_xlabel() == "latent steps"
    np.testing.assert_allclose(lines[0].get_ydata(), [100 * table["accuracy"]["0"][s].mean for s in ("0", "1", "3")])
