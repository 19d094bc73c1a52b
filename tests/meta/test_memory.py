"""The memory of MANN (Santoro et al. 2016, as in Weng's survey): cosine-softmax read and LRUA write by hand."""
import math

import pytest
import torch

from mlkit.meta.memory import (
    cosine_weights, least_used, least_used_slots, lrua_write, read, usage_update, write_weights,
)


def _softmax(values):
    exps = [math.exp(v) for v in values]
    return [e / sum(exps) for e in exps]


def test_read_is_the_cosine_softmax_average_of_the_rows():
    memory = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])  # [B=1, slots=3, D=2]
    key = torch.tensor([[[3.0, 0.0]]])  # [B=1, H=1, D=2]; its length does not matter, only its direction
    w = _softmax([1.0, 0.0, 1 / math.sqrt(2)])  # cosines with the three rows
    weights = cosine_weights(key, memory)
    torch.testing.assert_close(weights, torch.tensor([[w]]))
    torch.testing.assert_close(read(weights, memory), torch.tensor([[[w[0] + w[2], w[1] + w[2]]]]))


def test_least_used_marks_the_n_smallest_usages():
    usage = torch.tensor([[0.5, 0.1, 0.9, 0.3]])
    assert least_used(usage, 1).tolist() == [[0.0, 1.0, 0.0, 0.0]]
    assert least_used(usage, 2).tolist() == [[0.0, 1.0, 0.0, 1.0]]
    nth = usage.kthvalue(2, dim=-1, keepdim=True).values  # Weng: 1 where w^u(i) <= m(w^u, n)
    torch.testing.assert_close(least_used(usage, 2), (usage <= nth).float())
    assert least_used_slots(usage, 3).tolist() == [[1, 3, 0]]  # least used first
    assert least_used_slots(torch.tensor([[0.2, 0.2, 0.5]]), 1).tolist() == [[0]]  # a tie: the lower index


def test_one_lrua_step_by_hand():
    usage = torch.tensor([[0.9, 0.2, 0.6, 0.4]])  # w^u_{t-1}: slot 1 is the least used
    previous_read = torch.tensor([[[0.7, 0.1, 0.1, 0.1]]])  # w^r_{t-1}, one head
    gate = torch.sigmoid(torch.tensor([0.0]))  # σ(α) = 0.5
    written = write_weights(gate, previous_read, usage)
    torch.testing.assert_close(written, torch.tensor([[[0.35, 0.55, 0.05, 0.05]]]))  # 0.5 w^r + 0.5 w^lu

    memory = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]]])  # M_{t-1}
    key = torch.tensor([[[2.0, 0.0]]])
    new = lrua_write(memory, key, written, usage)
    # slot 1 is zeroed first, then every row gets w^w(i) k
    expected = torch.tensor([[[1.7, 0.0], [1.1, 0.0], [1.1, 1.0], [-0.9, 0.0]]])
    torch.testing.assert_close(new, expected)

    weights = cosine_weights(key, new)
    w = _softmax([1.0, 1.0, 1.1 / math.sqrt(1.1**2 + 1.0), -1.0])
    torch.testing.assert_close(weights, torch.tensor([[w]]))
    u = usage_update(usage, weights, written, gamma=0.95)
    by_hand = [0.95 * a + b + c for a, b, c in zip([0.9, 0.2, 0.6, 0.4], w, [0.35, 0.55, 0.05, 0.05])]
    torch.testing.assert_close(u, torch.tensor([by_hand]))
    assert least_used_slots(u, 1).item() == 3  # the next write goes to the slot that is now least used


def test_each_head_writes_to_its_own_least_used_slot():
    usage = torch.tensor([[0.5, 0.1, 0.9, 0.3]])
    written = write_weights(torch.zeros(2), torch.full((1, 2, 4), 0.25), usage)  # σ(α) = 0: w^w = w^lu
    assert written.tolist() == [[[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]]
    torch.testing.assert_close(written.sum(1), least_used(usage, 2))  # together: Weng's w^lu with n = 2 reads
    keys = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])  # [B, H=2, D]
    new = lrua_write(torch.ones(1, 4, 2), keys, written, usage)
    torch.testing.assert_close(new, torch.tensor([[[1.0, 1.0], [1.0, 2.0], [1.0, 1.0], [4.0, 5.0]]]))


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="^gamma must be a finite number in"):
        usage_update(torch.zeros(1, 3), torch.zeros(1, 1, 3), torch.zeros(1, 1, 3), gamma=1.5)
    with pytest.raises(ValueError, match="^n must be an integer >= 1 and <= 4"):
        least_used(torch.zeros(1, 4), 5)
