"""Lesson 09, exercises 1-3: what the shipped 20-way Prototypical Network sees of a drawing.

1. Stroke order and direction: the image of a drawing with its strokes in reverse order, each drawn backwards.
2. Size and place: the example alphabet's test drawings shrunk to half size and moved towards a corner, scored 1-shot
   against the same support drawings as in notebook 09 (ProtoNet and the pixel nearest neighbour).
3. Pen width: every drawing rendered with a thinner and a thicker pen than the training images' 5 pixels.

Run: python lessons/solutions/09_your_alphabet.py (about 10 s).
"""
import numpy as np
import torch

from mlkit.live.alphabet import Alphabet, example_alphabet, render, score_alphabet, shipped_model

POOL = 5  # drawings 1-5 of each character are support drawings, 6-10 test drawings, as in the notebook


def reversed_drawing(drawing):
    """The strokes in reverse order, each from its end to its start (t as recorded)."""
    return [stroke[::-1].copy() for stroke in drawing[::-1]]


def shrunk(drawing, factor=0.5, corner=(22.0, -22.0)):
    """The drawing scaled by ``factor`` about the centre of its box and moved so that this centre lies at ``corner``
    (x, y in Omniglot's units: 22 pixels from the left and from the top edge)."""
    points = np.concatenate([s[:, :2] for s in drawing])
    centre = (points.min(0) + points.max(0)) / 2
    return [np.concatenate([(s[:, :2] - centre) * factor + corner, s[:, 2:]], 1) for s in drawing]


def accuracies(scores):
    return {method: 100 * scores.accuracy(method) for method in ("ProtoNet", "pixels")}


def main():
    torch.set_num_threads(1)
    model, alphabet = shipped_model(), example_alphabet()
    drawings = [d for ds in alphabet.drawings for d in ds]
    same = sum(torch.equal(render([d]), render([reversed_drawing(d)])) for d in drawings)
    print(f"1. reversed strokes: {same} of {len(drawings)} drawings give exactly the same image")

    base = accuracies(score_alphabet(model, alphabet, 1, POOL))
    small = Alphabet(alphabet.names, [ds[:POOL] + [shrunk(d) for d in ds[POOL:]] for ds in alphabet.drawings],
                     "the example, test drawings at half size in a corner")
    moved = accuracies(score_alphabet(model, small, 1, POOL))
    print(f"2. 1-shot accuracy, test drawings as drawn: ProtoNet {base['ProtoNet']:.1f} %, pixels {base['pixels']:.1f} %;"
          f" half size in a corner: ProtoNet {moved['ProtoNet']:.1f} %, pixels {moved['pixels']:.1f} %")

    widths = {width: accuracies(score_alphabet(model, alphabet, 1, POOL, pen_width=width)) for width in (2.0, 5.0, 9.0)}
    print("3. 1-shot accuracy by pen width: " + ", ".join(
        f"{width:g} px: ProtoNet {a['ProtoNet']:.1f} %, pixels {a['pixels']:.1f} %" for width, a in widths.items()))


if __name__ == "__main__":
    main()
