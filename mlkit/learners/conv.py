"""The 4-block convolutional learners of the few-shot image papers, evaluated for T tasks at once.

- Omniglot (Finn et al. 2017 §5.2, Lee 2018 §6.3): 4 × [3×3 conv, 64 filters, stride 2, batch norm, ReLU],
  mean over the remaining spatial positions, linear layer to N classes.
- miniImageNet (Ravi & Larochelle 2017; Finn et al. 2017): 4 × [3×3 conv, 32 filters, stride 1, batch norm,
  ReLU, 2×2 max-pool], flatten, linear layer.
Batch norm uses the statistics of the batch it sees (transductive, as in the MAML and Reptile code). An optional
``RunningStats`` (one running mean/variance per task and channel) changes that for the LSTM meta-learner of Ravi &
Larochelle (2017, §3.4): batch statistics that also update the running averages during an episode's training
steps, then the episode's running averages for its query set.

T different networks run in one call: the tasks are stacked along the channel axis and every convolution is a
grouped convolution with ``groups=T`` (task t's input channels only meet task t's filters). Activations stay in
the layout [B, T·C, H, W] through the blocks, and batch norm on that layout gives per-task, per-channel statistics.
With ``transform=True`` each block gets a T-net 1×1 convolution ``t{i}: [C, C]`` (identity at start), and the
head an N×N matrix (Lee 2018, §4.1 and the MT-net code).
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlkit.checks import check_choice, check_int, check_range
from mlkit.learners.base import Learner, TaskWeights


class RunningStats:
    """Per-task batch-norm running averages for the blocks of a ``ConvNet``, reset by making a new one.

    ``update=True``: every block normalises with the statistics of the batch it sees and folds them into its running
    mean and variance, ``running = (1 − momentum)·running + momentum·batch`` (a large momentum favours the latest
    batches, as §3.4 asks for a few steps). ``update=False``: every block normalises with the running averages.

    Args:
        n_tasks, channels, blocks: the buffers are ``mean[i]``, ``var[i]`` of shape [T·C] for block i (the
            [B, T·C, H, W] layout of ``ConvNet``), starting at 0 and 1.
        momentum: weight of the newest batch, in (0, 1].
    """

    def __init__(self, n_tasks: int, channels: int, blocks: int, momentum: float = 0.9,
                 device: torch.device | str | None = None) -> None:
        self.momentum = check_range("momentum", momentum, 1e-6, 1.0)
        self.mean = [torch.zeros(n_tasks * channels, device=device) for _ in range(blocks)]  # [T*C] per block
        self.var = [torch.ones(n_tasks * channels, device=device) for _ in range(blocks)]  # [T*C] per block
        self.n_tasks = n_tasks
        self.update = True

    @classmethod
    def for_learner(cls, learner: "ConvNet", n_tasks: int, momentum: float = 0.9,
                    device: torch.device | str | None = None) -> "RunningStats":
        return cls(n_tasks, learner.hidden, learner.blocks, momentum, device)


class ConvNet(Learner):
    """Four conv blocks and a linear head.

    Args:
        in_channels: 1 for Omniglot/glyphs, 3 for miniImageNet.
        n_classes: outputs of the head (N of N-way; or all training classes for a joint classifier).
        hidden: filters per block (64 Omniglot, 32 miniImageNet).
        image_size: input height = width.
        downsample: ``"stride"`` (stride-2 convs, spatial mean) or ``"maxpool"`` (2×2 pools, flatten).
        transform: add T-net matrices.
        blocks: number of conv blocks.
    """

    def __init__(
        self, in_channels: int = 1, n_classes: int = 5, hidden: int = 64, image_size: int = 28,
        downsample: str = "stride", transform: bool = False, blocks: int = 4,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, 1)
        self.n_classes = check_int("n_classes", n_classes, 1)
        self.hidden = check_int("hidden", hidden, 1)
        self.image_size = check_int("image_size", image_size, 2)
        self.downsample = check_choice("downsample", downsample, ("stride", "maxpool"))
        self.transform = bool(transform)
        self.blocks = check_int("blocks", blocks, 1)
        size, channels = image_size, in_channels
        for i in range(blocks):
            w = torch.empty(hidden, channels, 3, 3)
            self.register_parameter(f"conv{i}", nn.Parameter(nn.init.xavier_uniform_(w)))
            self.register_parameter(f"gamma{i}", nn.Parameter(torch.ones(hidden)))
            self.register_parameter(f"beta{i}", nn.Parameter(torch.zeros(hidden)))
            if transform:
                self.register_parameter(f"t{i}", nn.Parameter(torch.eye(hidden)))
            size = (size + 1) // 2 if downsample == "stride" else size // 2
            channels = hidden
        if size < 1:
            raise ValueError(f"image_size must be >= {2 ** blocks} for {blocks} blocks, got {image_size}")
        self.features = hidden if downsample == "stride" else hidden * size * size
        self.register_parameter("fc_w", nn.Parameter(nn.init.xavier_uniform_(torch.empty(self.features, n_classes))))
        self.register_parameter("fc_b", nn.Parameter(torch.zeros(n_classes)))
        if transform:
            self.register_parameter("fc_t", nn.Parameter(torch.eye(n_classes)))
        self.adaptable = tuple(n for n, _ in self.named_parameters() if not n.startswith(("t", "fc_t")))
        self.unit_axis = {n: 0 for n in self.adaptable}
        self.unit_axis["fc_w"] = 1
        self.head = ("fc_w", "fc_b")

    def embed(self, x: Tensor, weights: TaskWeights | None = None, running: RunningStats | None = None) -> Tensor:
        """Images [T, B, C, H, W] -> features [T, B, features] (everything but the head).

        ``running``: per-task batch-norm running averages to update or use (see ``RunningStats``); without it
        batch norm uses the batch's own statistics and keeps nothing.
        """
        p = self.task_weights(x.shape[0]) if weights is None else weights
        t, b = x.shape[:2]
        if running is not None and (running.n_tasks != t or len(running.mean) != self.blocks
                                    or running.mean[0].numel() != t * self.hidden):
            raise ValueError(f"running must hold {self.blocks} blocks of statistics for {t} tasks x {self.hidden} "
                             f"channels, got {len(running.mean)} blocks for {running.n_tasks} tasks")
        h = x.transpose(0, 1).reshape(b, t * x.shape[2], *x.shape[3:])  # [B, T*C, H, W]
        stride = 2 if self.downsample == "stride" else 1
        for i in range(self.blocks):
            kernel = p[f"conv{i}"]  # [T, out, in, 3, 3]
            h = F.conv2d(h, kernel.reshape(-1, *kernel.shape[2:]), stride=stride, padding=1, groups=t)
            if self.transform:  # T-net: a 1x1 convolution mixing each task's channels
                h = F.conv2d(h, p[f"t{i}"].transpose(1, 2).reshape(-1, self.hidden, 1, 1), groups=t)
            mean, var = (running.mean[i], running.var[i]) if running is not None else (None, None)
            h = F.batch_norm(h, mean, var, p[f"gamma{i}"].reshape(-1), p[f"beta{i}"].reshape(-1),
                             training=running is None or running.update, eps=1e-3,
                             momentum=running.momentum if running is not None else 0.1)
            h = F.relu(h)
            if self.downsample == "maxpool":
                h = F.max_pool2d(h, 2)
        h = h.reshape(b, t, self.hidden, -1)  # [B, T, C, H*W]
        h = h.mean(-1) if self.downsample == "stride" else h.flatten(2)
        return h.transpose(0, 1)  # [T, B, features]

    def forward(self, x: Tensor, weights: TaskWeights | None = None, running: RunningStats | None = None) -> Tensor:
        """Images [T, B, C, H, W] -> logits [T, B, n_classes]; ``running`` as in ``embed``."""
        p = self.task_weights(x.shape[0]) if weights is None else weights
        logits = torch.baddbmm(p["fc_b"].unsqueeze(1), self.embed(x, p, running), p["fc_w"])
        return torch.bmm(logits, p["fc_t"]) if self.transform else logits

    def config(self) -> dict[str, Any]:
        return {
            "kind": "conv", "in_channels": self.in_channels, "n_classes": self.n_classes, "hidden": self.hidden,
            "image_size": self.image_size, "downsample": self.downsample, "transform": self.transform,
            "blocks": self.blocks,
        }
