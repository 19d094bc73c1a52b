"""Lesson 04, exercise 1: choose the meta-learner's parameters so that it *is* gradient descent with step α.

Zero every weight of the gates, put the forget bias far in the saturated region (σ(30) = 1 − 9e-14) and the input
bias at logit(α): then f_t = 1 and i_t = α for every coordinate, and c_t = c_{t−1} − α ∇_t (eq. 1). We compare
T such updates with T steps of mlkit's shared gradient-descent inner loop from the same weights.
"""
import math

import torch

from mlkit.learners import ConvNet
from mlkit.meta.inner import inner_loop
from mlkit.meta.lstm_meta import LSTMMetaLearner


def main(alpha: float = 0.1, steps: int = 5, seed: int = 0) -> float:
    torch.manual_seed(seed)
    meta = LSTMMetaLearner(ConvNet(1, 5, hidden=4, image_size=16, downsample="maxpool"), steps=steps)
    with torch.no_grad():
        for weight in (meta.layer2.w_hidden, meta.layer2.w_cell, meta.layer2.w_previous):
            weight.zero_()
        meta.layer2.bias.copy_(torch.tensor([30.0, math.log(alpha / (1 - alpha))]))  # f = 1, i = alpha
    x, y = torch.rand(3, 5, 1, 16, 16), torch.arange(5).repeat(3, 1)
    with torch.no_grad():
        cell, _ = meta.run_episode(x, y)
    sgd = inner_loop(meta.learner, meta.learner.task_weights(3), x, y, steps=steps, alpha=alpha,
                     task_type="classification", names=meta.learner.adaptable, create_graph=False, detach=True)
    lstm = meta.weights_of(cell)
    gap = max((lstm[n] - sgd[n]).abs().max().item() for n in meta.learner.adaptable)
    print(f"largest difference between {steps} LSTM updates and {steps} SGD steps (alpha = {alpha}): {gap:.1e}")
    return gap


if __name__ == "__main__":
    main()
