"""Benchmark: how fast the procedural Glyphs alphabet is drawn, against the 5,000 images/s target.

Draws 20,000 images (1,000 classes x 20 redraws) after a small warm-up and reports images/s and the ratio to
the target (the rate needed to regenerate the default 2,000-class dataset in well under ten seconds).
"""
from __future__ import annotations

import json
import time

from mlkit.tasks.glyphs import draw_classes

TARGET = 5000.0  # images per second


def run(as_json: bool = False) -> dict:
    draw_classes(0, list(range(50)), 40, 20)          # warm-up: imports, allocator, BLAS threads
    classes, per_class = 1000, 20
    start = time.perf_counter()
    images = draw_classes(1, list(range(classes)), 40, per_class)     # [1000, 20, 28, 28]
    seconds = time.perf_counter() - start
    rate = images.shape[0] * images.shape[1] / seconds
    result = {
        "images": classes * per_class, "seconds": round(seconds, 4), "images_per_s": round(rate, 1),
        "target_images_per_s": TARGET, "ratio_to_target": round(rate / TARGET, 2),
    }
    if as_json:
        print(json.dumps(result))
    else:
        print(f"{'glyphs drawn':<22}{result['images']:>12,}")
        print(f"{'seconds':<22}{result['seconds']:>12.3f}")
        print(f"{'images/s':<22}{result['images_per_s']:>12,.0f}")
        print(f"{'target images/s':<22}{TARGET:>12,.0f}")
        print(f"{'ratio to target':<22}{result['ratio_to_target']:>12.2f}x")
    return result


BENCHMARKS = {"glyphs": run}
