"""Random image episodes and datasets for the tests of the image meta-learners (not a test module itself)."""
import torch

from mlkit.tasks.images import ImageDataset


def random_episode(n_way=3, k_shot=2, queries=4, seed=0, size=28, tasks=2):
    """Random images: support sorted by class [T, N*K], queries with labels cycling through the classes."""
    g = torch.Generator().manual_seed(seed)
    x_support = torch.rand(tasks, n_way * k_shot, 1, size, size, generator=g)
    y_support = torch.arange(n_way).repeat_interleave(k_shot).repeat(tasks, 1)  # [T, N*K]
    x_query = torch.rand(tasks, queries, 1, size, size, generator=g)
    y_query = (torch.arange(queries) % n_way).repeat(tasks, 1)  # [T, Q]
    return x_support, y_support, x_query, y_query


def noisy_dataset(split="train", classes=12, seed=0):
    """16×16 images in ``classes`` classes, each class noisy copies of one random prototype (8 per class)."""
    g = torch.Generator().manual_seed(seed)
    prototypes = torch.randint(0, 256, (classes, 1, 1, 16, 16), generator=g)
    noise = torch.randint(-30, 30, (classes, 8, 1, 16, 16), generator=g)
    images = (prototypes + noise).clamp(0, 255).to(torch.uint8)
    return ImageDataset(images, [f"c{i}" for i in range(classes)], split, "noise")
