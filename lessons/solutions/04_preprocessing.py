"""Lesson 04, exercise 2: the §3.2 preprocessing is continuous at |x| = e^-p and can be inverted.

Above the threshold x = sign · exp(p · magnitude); below it x = second output · e^-p. So nothing is lost: the
map is one-to-one. What changes is the *resolution* the LSTM sees: every value below e^-p shares the first output
−1, and its size shows up only in the second output, on a linear scale.
"""
import math

import torch

from mlkit.meta.lstm_meta import preprocess


def invert(features: torch.Tensor, p: float = 10.0) -> torch.Tensor:
    magnitude, second = features.unbind(-1)
    large = magnitude > -1.0
    return torch.where(large, second * torch.exp(p * magnitude), second * math.exp(-p))


def main(p: float = 10.0) -> dict:
    x = torch.cat([torch.logspace(-12, 2, 300, dtype=torch.float64), -torch.logspace(-12, 2, 300, dtype=torch.float64)])
    round_trip = (invert(preprocess(x, p), p) - x).abs().div(x.abs()).max().item()
    edge = math.exp(-p)
    below = preprocess(torch.tensor([edge * (1 - 1e-9)], dtype=torch.float64), p)[0]
    above = preprocess(torch.tensor([edge], dtype=torch.float64), p)[0]
    jump = (above - below).abs().max().item()
    print(f"largest relative round-trip error over 1e-12..1e2: {round_trip:.1e}")
    print(f"jump of the two outputs across |x| = e^-p: {jump:.1e}")
    return {"round_trip": round_trip, "jump": jump}


if __name__ == "__main__":
    main()
