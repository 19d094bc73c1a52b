"""The method-free baselines: the modified Hausdorff distance on hand-made point sets, pixel nearest neighbour."""
import pytest
import torch

from mlkit.baselines import MethodFree, hausdorff_scores, ink_points, modified_hausdorff, pixel_scores


def image(*pixels, size=6):
    out = torch.zeros(1, size, size)
    for r, c in pixels:
        out[0, r, c] = 1.0
    return out


def test_modified_hausdorff_of_hand_made_point_sets():
    a = ink_points(torch.stack([image((0, 0))]))  # A = {(0, 0)}
    b = ink_points(torch.stack([image((0, 3), (4, 0))]))  # B = {(0, 3), (4, 0)}
    # A -> B: (0,0) is 3 from its nearest b; B -> A: 3 and 4, mean 3.5; d = max(3, 3.5)
    assert modified_hausdorff(a, b).item() == pytest.approx(3.5)
    assert modified_hausdorff(b, a).item() == pytest.approx(3.5)  # symmetric
    assert modified_hausdorff(b, b).item() == 0.0


def test_point_sets_of_different_sizes_in_one_batch_are_padded_and_masked():
    points, mask = ink_points(torch.stack([image((1, 1)), image((0, 0), (0, 5), (5, 5))]))
    assert points.shape == (2, 3, 2) and mask.tolist() == [[True, False, False], [True, True, True]]
    d = modified_hausdorff((points, mask), (points, mask))
    # {(1,1)} vs {(0,0),(0,5),(5,5)}: A->B = √2; B->A = (√2 + √17 + √32)/3
    expected = (2 ** 0.5 + 17 ** 0.5 + 32 ** 0.5) / 3
    assert d[0, 1].item() == pytest.approx(expected, rel=1e-5) and d[1, 0].item() == pytest.approx(expected, rel=1e-5)


def test_both_baselines_classify_an_easy_episode():
    support = torch.stack([image((0, 0), (0, 1), (0, 2)), image((3, 3), (4, 4), (5, 5))]).unsqueeze(0)  # [1, 2, 1, 6, 6]
    query = torch.stack([image((0, 1), (0, 2), (0, 3)), image((2, 2), (3, 3), (4, 4))]).unsqueeze(0)
    labels = torch.tensor([[0, 1]])
    assert hausdorff_scores(support, labels, query).argmax(-1).tolist() == [[0, 1]]
    assert pixel_scores(support, labels, query).argmax(-1).tolist() == [[0, 1]]
    predictor = MethodFree("hausdorff").adapt(support, labels)
    assert predictor.predict(query).tolist() == [[0, 1]]


def test_the_best_support_image_decides_a_class_score():
    support = torch.stack([image((0, 0)), image((5, 5)), image((2, 2))]).unsqueeze(0)
    labels = torch.tensor([[0, 1, 1]])  # class 1 has two support images
    scores = hausdorff_scores(support, labels, torch.stack([image((2, 3))]).unsqueeze(0))
    assert scores[0, 0, 1].item() == pytest.approx(-1.0)  # the nearer of (5,5) and (2,2): one pixel away


def test_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of 'pixels', 'hausdorff', got 'edges'"):
        MethodFree("edges")
