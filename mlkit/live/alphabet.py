"""Notebook 09: the shipped 20-way Prototypical Network learns an alphabet someone drew, from one drawing per character.

Lake, Salakhutdinov & Tenenbaum (2015, Science) test one-shot classification on characters people draw; here the
characters are a student's (or the shipped example's, ``EXAMPLE_FILE``) and the classifier is the Prototypical
Network of Snell, Swersky & Zemel (2017) shipped as ``mlkit/checkpoints/omniglot-20way.pt``, trained on Omniglot's
training alphabets and never shown these characters. Every drawing is pen strokes, rendered by ``render_strokes``
exactly as the training images were, and embedded by the network's ConvNet f.

- **One answer** (``answer_drawing``): the support drawings of N characters and one query drawing are embedded in
  one pass (the network's batch normalisation uses the statistics of that pass, as in training and evaluation);
  the prototypes are the class means of the support embeddings (Snell et al. eq. 1) and the answer is the nearest
  prototype in squared Euclidean distance (eq. 2). Each test drawing is classified on its own, as on the pad.
- **Scores on an alphabet** (``score_alphabet``): the first ``shots`` drawings of each character form the support
  pool and the rest are the test drawings. 1-shot: each of the pool's drawings in turn is the support of its
  character (``shots`` rounds); K-shot: the whole pool. The pixel nearest neighbour of Lake et al. (2015) answers
  the same test drawings from the same support drawings. ``leave_one_out_scores`` scores every drawing against all others.
- **The example alphabet** (``EXAMPLE_FILE``) was drawn on the pad by scripted mouse moves
  (``tests/draw_example.py`` in the repository), not by a person.

Numbers from the shipped model on stored drawings do not depend on training: they are printed plainly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from mlkit.checks import check_int, check_range
from mlkit.tasks.render import CANVAS, PEN_WIDTH, render_strokes
from mlkit.tasks.stroke_files import Drawing, check_drawing, load_alphabet

EXAMPLE_FILE = Path(__file__).resolve().parents[1] / "data" / "alphabets" / "example.zip"
SHIPPED_MODEL = Path(__file__).resolve().parents[1] / "checkpoints" / "omniglot-20way.pt"
EXAMPLE_NAMES = ("example", "")  # what the notebook's alphabet_file says for the shipped example
EXAMPLE_SOURCE = "the shipped example alphabet (drawn on the pad by scripted mouse moves, not by a person)"

Classifier = Callable[[Tensor, Tensor, Tensor, int], Any]  # (support, y_support, query, n_way) -> (labels, d²)


# --- alphabets --------------------------------------------------------------------------------------------------

@dataclass
class Alphabet:
    """N characters, each with its drawings in the order they were drawn (each drawing a list of strokes)."""

    names: list[str]
    drawings: list[list[Drawing]]
    source: str

    def __len__(self) -> int:
        return len(self.names)

    def counts(self) -> list[int]:
        """Drawings per character."""
        return [len(d) for d in self.drawings]

    def support(self, first: int = 1) -> dict[str, list[Drawing]]:
        """The first ``first`` drawings of every character."""
        return {name: drawings[:first] for name, drawings in zip(self.names, self.drawings)}

    def describe(self) -> str:
        counts = self.counts()
        each = f"{counts[0]} drawings each" if len(set(counts)) == 1 else f"{min(counts)}-{max(counts)} drawings each"
        return f"{len(self)} characters ({', '.join(self.names)}), {each}: {self.source}"


def as_alphabet(characters: Mapping[str, Sequence[Drawing]], source: str, n_characters: int | None = None) -> Alphabet:
    """The first ``n_characters`` characters of ``characters`` (name -> drawings) that have a drawing, checked."""
    names, drawings = [], []
    for name, found in characters.items():
        if found:
            names.append(name)
            drawings.append([check_drawing(list(d), f"{name}, drawing {i + 1}") for i, d in enumerate(found)])
    if n_characters is not None:
        names, drawings = names[:n_characters], drawings[:n_characters]
    return Alphabet(names, drawings, source)


def example_alphabet(n_characters: int | None = None) -> Alphabet:
    """The shipped example alphabet (6 characters x 10 drawings), its first ``n_characters`` characters."""
    return as_alphabet(load_alphabet(EXAMPLE_FILE), EXAMPLE_SOURCE, n_characters)


def read_alphabet(path: str | Path, n_characters: int = 20, min_drawings: int = 2) -> tuple[Alphabet, list[str]]:
    """The alphabet in ``path`` (a zip or folder saved by the pad; ``"example"``: the shipped one), its first
    ``n_characters`` characters, and notes for the reader. A file that does not load, or holds fewer than two
    characters with ``min_drawings`` drawings, is named in a note and the shipped example is used instead: a bad
    file never stops the notebook."""
    n_characters = check_int("n_characters", n_characters, 2, 20)
    notes: list[str] = []
    if str(path).strip() in EXAMPLE_NAMES:
        alphabet = example_alphabet(n_characters)
    else:
        try:
            alphabet = as_alphabet(load_alphabet(path), f"the alphabet in {path}", n_characters)
            short = [n for n, c in zip(alphabet.names, alphabet.counts()) if c < min_drawings]
            if short:
                raise ValueError(f"{path}: characters {', '.join(short)} have fewer than {min_drawings} drawings "
                                 f"(one to learn from, one to test)")
            if len(alphabet) < 2:
                raise ValueError(f"{path} holds {len(alphabet)} character; a classifier needs at least two")
        except ValueError as error:
            alphabet = example_alphabet(n_characters)
            notes = [f"⚠ alphabet_file: {error}. Using {EXAMPLE_SOURCE} instead."]
    if len(alphabet) < n_characters:
        notes.append(f"n_characters = {n_characters}, but {alphabet.source} has {len(alphabet)} characters: "
                     f"using {len(alphabet)}.")
    return alphabet, notes


def usable_shots(alphabet: Alphabet, shots: int) -> tuple[int, list[str]]:
    """``shots``, lowered where a character has too few drawings to keep one to test (with a note)."""
    most = min(alphabet.counts()) - 1
    if shots <= most:
        return shots, []
    return max(most, 1), [f"shots = {shots}, but the fewest drawings of a character is {most + 1}, and one must stay "
                          f"a test drawing: using shots = {max(most, 1)}."]


# --- the model and its embeddings ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def shipped_model() -> Any:
    """The shipped 20-way Prototypical Network (``omniglot-20way.pt``), in evaluation mode."""
    from mlkit.checkpoint import load_meta_learner

    model = load_meta_learner(SHIPPED_MODEL)
    model.eval()
    return model


def render(drawings: Sequence[Drawing], where: str = "drawing", pen_width: float = PEN_WIDTH) -> Tensor:
    """Drawings as the model reads them: float32 [B, 1, 28, 28] (``render_strokes`` of each)."""
    return torch.stack([render_strokes(list(d), 28, pen_width, f"{where} {i + 1}") for i, d in enumerate(drawings)])


def embed(model: Any, images: Tensor) -> Tensor:
    """The ConvNet's embeddings f(x) of images [B, 1, 28, 28] in one pass: [B, 64]."""
    with torch.no_grad():
        return model.learner.embed(images.unsqueeze(0))[0]


def nearest_prototype(support: Tensor, y_support: Tensor, query: Tensor, n_way: int) -> tuple[Tensor, Tensor]:
    """mlkit's nearest-prototype classifier (Snell et al. 2017, eqs. 1-2): support [S, F] with labels [S] in
    0..N-1, queries [Q, F] -> (labels [Q], squared Euclidean distances [Q, N] to the class means)."""
    prototypes = torch.zeros(n_way, support.shape[1], dtype=support.dtype).index_add_(0, y_support, support)
    prototypes = prototypes / torch.bincount(y_support, minlength=n_way).clamp(min=1).unsqueeze(1).to(support.dtype)
    distances = (query.unsqueeze(1) - prototypes.unsqueeze(0)).pow(2).sum(-1)  # [Q, N]
    return distances.argmin(1), distances


def pixel_leave_one_out(images: Tensor, labels: Tensor) -> Tensor:
    """mlkit's leave-one-out pixel nearest neighbour (Lake et al. 2015's pixel baseline): every image [n, ...] gets
    the label of the nearest OTHER image in Euclidean pixel distance -> labels [n]."""
    flat = images.flatten(1).double()
    distances = torch.cdist(flat, flat)
    distances.fill_diagonal_(math.inf)
    return labels[distances.argmin(1)]


def pixel_nearest(support: Tensor, y_support: Tensor, query: Tensor) -> Tensor:
    """The pixel nearest neighbour's labels [Q] for queries [Q, ...] among support images [S, ...]."""
    return y_support[torch.cdist(query.flatten(1).double(), support.flatten(1).double()).argmin(1)]


# --- one answer -----------------------------------------------------------------------------------------------------

@dataclass
class Answer:
    """The model's answer to one query drawing, and everything behind it."""

    names: list[str]  # the N characters
    support_images: Tensor  # [S, 1, 28, 28]
    y_support: Tensor  # [S]
    query_image: Tensor  # [1, 28, 28]
    support_embeddings: Tensor  # [S, F]
    query_embedding: Tensor  # [F]
    prototypes: Tensor  # [N, F]
    distances: Tensor  # [N] squared Euclidean distances, float64
    choice: int
    yours: int | None = None  # the student's classifier's choice
    yours_note: str = ""  # why there is none (the student's function failed)

    @property
    def chosen(self) -> str:
        return self.names[self.choice]

    def shots(self) -> list[int]:
        return torch.bincount(self.y_support, minlength=len(self.names)).tolist()


def answer_drawing(model: Any, support: Mapping[str, Sequence[Drawing]], query: Drawing,
                   classify: Classifier | None = None) -> Answer:
    """The nearest prototype of ``query`` among the characters of ``support`` (name -> its drawings, one or more),
    with ``classify`` (the student's classifier, optional) asked the same question on the same embeddings.

    Raises ``ValueError`` with a sentence for a reader: nothing drawn, a drawing off the canvas, fewer than two
    characters."""
    names = [name for name, drawings in support.items() if drawings]
    if len(names) < 2:
        raise ValueError("keep a drawing of at least two characters first: a classifier needs two to choose from")
    if not query:
        raise ValueError("draw something first: the canvas is empty")
    images = [d for name in names for d in support[name]]
    y_support = torch.tensor([i for i, name in enumerate(names) for _ in support[name]])
    x_support = render(images, "support drawing")
    x_query = render_strokes(list(query), 28, where="the query drawing")
    features = embed(model, torch.cat([x_support, x_query[None]]))  # one pass, as the model was trained
    s_feat, q_feat = features[:-1].double(), features[-1].double()
    labels, distances = nearest_prototype(s_feat, y_support, q_feat[None], len(names))
    prototypes = torch.zeros(len(names), s_feat.shape[1], dtype=torch.float64).index_add_(0, y_support, s_feat)
    prototypes /= torch.bincount(y_support, minlength=len(names)).unsqueeze(1)
    out = Answer(names, x_support, y_support, x_query, s_feat, q_feat, prototypes, distances[0], int(labels[0]))
    if classify is not None:
        out.yours, out.yours_note = ask_student(classify, s_feat.float(), y_support, q_feat[None].float(), len(names))
    return out


def ask_student(classify: Classifier, support: Tensor, y_support: Tensor, query: Tensor,
                n_way: int) -> tuple[int | None, str]:
    """The first label the student's ``classify`` gives, or None and a one-line reason (it never raises)."""
    try:
        result = classify(support.clone(), y_support.clone(), query.clone(), n_way)
        if result is None or result is Ellipsis:
            return None, "your classifier is not written yet (it returns nothing: still the stub)"
        labels = result[0] if isinstance(result, (tuple, list)) else result
        return int(torch.as_tensor(labels).reshape(-1)[0]), ""
    except Exception as error:  # the student's function: report, never stop the notebook
        return None, f"your classifier failed ({type(error).__name__}: {str(error)[:80]})"


def distances_text(answer: Answer, digits: int = 1) -> str:
    """One line per character: its squared distance, the nearest marked."""
    lines = []
    for i, name in enumerate(answer.names):
        mark = "  <- nearest" if i == answer.choice else ""
        lines.append(f"  {name}: ‖f(query) − c‖² = {float(answer.distances[i]):6.{digits}f}{mark}")
    return "\n".join(lines)


# --- scores on an alphabet --------------------------------------------------------------------------------------

@dataclass
class Decision:
    """One test drawing's answer: which round (support drawing), its character and the answers."""

    round: int
    character: int
    drawing: int  # index among the character's drawings
    answers: dict[str, int]  # method -> predicted character
    margin: float = 0.0  # ProtoNet: squared distance to the nearest other prototype minus to its own (< 0: wrong)


@dataclass
class AlphabetScores:
    """Every decision of one setting (1-shot or K-shot) on an alphabet."""

    shots: int
    names: list[str]
    decisions: list[Decision] = field(default_factory=list)

    def correct(self, method: str) -> int:
        return sum(d.answers[method] == d.character for d in self.decisions if method in d.answers)

    def asked(self, method: str) -> int:
        return sum(method in d.answers for d in self.decisions)

    def accuracy(self, method: str) -> float:
        return self.correct(method) / max(self.asked(method), 1)

    def agreement(self, a: str, b: str) -> tuple[int, int]:
        """(decisions where ``a`` and ``b`` answer the same, decisions both answered)."""
        both = [d for d in self.decisions if a in d.answers and b in d.answers]
        return sum(d.answers[a] == d.answers[b] for d in both), len(both)

    def confusions(self, method: str = "ProtoNet") -> dict[tuple[int, int], int]:
        """(true, answered) -> count, for the wrong answers of ``method``."""
        found: dict[tuple[int, int], int] = {}
        for d in self.decisions:
            if d.answers.get(method, d.character) != d.character:
                key = (d.character, d.answers[method])
                found[key] = found.get(key, 0) + 1
        return found


def score_alphabet(model: Any, alphabet: Alphabet, shots: int, pool: int, classify: Classifier | None = None,
                   pen_width: float = PEN_WIDTH) -> AlphabetScores:
    """ProtoNet and the pixel nearest neighbour (and ``classify``, the student's, on the same embeddings) on every
    test drawing of ``alphabet`` (each character's drawings after its first ``pool``), ``shots`` support drawings
    per character from the pool: rounds r = 0, shots, 2 shots, ... while they fit (1-shot: each pool drawing in turn).
    Each test drawing is embedded with the support drawings, on its own; ``pen_width`` renders every drawing."""
    shots = check_int("shots", shots, 1, pool)
    scores = AlphabetScores(shots, list(alphabet.names))
    n = len(alphabet)
    images = [render(d, f"{name} drawing", pen_width) for name, d in zip(alphabet.names, alphabet.drawings)]
    for r, start in enumerate(range(0, pool - shots + 1, shots)):
        x_support = torch.cat([im[start:start + shots] for im in images])  # [N*K, 1, 28, 28]
        y_support = torch.arange(n).repeat_interleave(shots)
        for c in range(n):
            for i in range(pool, len(images[c])):
                query = images[c][i]
                features = embed(model, torch.cat([x_support, query[None]])).double()
                labels, distances = nearest_prototype(features[:-1], y_support, features[-1:], n)
                others = torch.cat([distances[0, :c], distances[0, c + 1:]])
                margin = float(others.min() - distances[0, c])
                answers = {"ProtoNet": int(labels[0]),
                           "pixels": int(pixel_nearest(x_support, y_support, query[None])[0])}
                if classify is not None:
                    yours, _ = ask_student(classify, features[:-1].float(), y_support, features[-1:].float(), n)
                    if yours is not None:
                        answers["yours"] = yours
                scores.decisions.append(Decision(r, c, i, answers, margin))
    return scores


def hardest(scores: AlphabetScores) -> Decision:
    """ProtoNet's hardest test drawing: the smallest margin (a wrong answer if there is one)."""
    return min(scores.decisions, key=lambda d: d.margin)


def round_support(alphabet: Alphabet, scores: AlphabetScores, decision: Decision) -> dict[str, list[Drawing]]:
    """The support drawings of ``decision``'s round: drawings r·K .. r·K + K − 1 of every character."""
    start = decision.round * scores.shots
    return {name: drawings[start:start + scores.shots] for name, drawings in zip(alphabet.names, alphabet.drawings)}


def leave_one_out_scores(model: Any, alphabet: Alphabet) -> dict[str, float]:
    """Every drawing classified by all the others: the pixel nearest neighbour, and ProtoNet with prototypes of the
    other drawings (all drawings embedded in one pass) -> accuracy per method."""
    images = render([d for ds in alphabet.drawings for d in ds])
    labels = torch.tensor([c for c, ds in enumerate(alphabet.drawings) for _ in ds])
    features = embed(model, images).double()
    n = len(alphabet)
    sums = torch.zeros(n, features.shape[1], dtype=torch.float64).index_add_(0, labels, features)
    counts = torch.bincount(labels, minlength=n).double()
    right = 0
    for i in range(len(labels)):  # this drawing's own class mean without it
        own = labels[i]
        prototypes = sums.clone()
        prototypes[own] -= features[i]
        prototypes /= (counts - torch.nn.functional.one_hot(own, n).double()).unsqueeze(1)
        right += int((features[i] - prototypes).pow(2).sum(1).argmin() == own)
    pixels = float((pixel_leave_one_out(images, labels) == labels).double().mean())
    return {"ProtoNet": right / len(labels), "pixels": pixels}


def alphabet_images(alphabet: Alphabet) -> tuple[Tensor, Tensor]:
    """Every drawing rendered, [D, 1, 28, 28], and its character's index [D]."""
    images = render([d for ds in alphabet.drawings for d in ds])
    return images, torch.tensor([c for c, ds in enumerate(alphabet.drawings) for _ in ds])


# --- pixel positions and strokes turned about their centre (the notebook's exercises, mlkit's side) --------------

def stroke_pixels(stroke: np.ndarray, size: int = 28) -> np.ndarray:
    """Omniglot's (x, y) of a stroke [n, 3] -> (row, column) [n, 2] in a ``size`` x ``size`` image: at 105x105 the
    point lies at column x and row -y, and resizing to ``size`` maps the pixel centre u + 0.5 to (u + 0.5)
    size / 105, so row = (-y + 0.5) size / 105 - 0.5 and column = (x + 0.5) size / 105 - 0.5."""
    size = check_int("size", size, 1)
    stroke = np.asarray(stroke, dtype=np.float64)
    scale = size / CANVAS
    return np.stack([(-stroke[:, 1] + 0.5) * scale - 0.5, (stroke[:, 0] + 0.5) * scale - 0.5], 1)


def turn_stroke(stroke: np.ndarray, degrees: float, scale: float) -> np.ndarray:
    """A stroke [n, 3] turned counter-clockwise (as seen: Omniglot's y points up) by ``degrees`` and scaled by
    ``scale`` about the centre of its box ((min + max) / 2 of x and of y); t unchanged."""
    stroke = np.asarray(stroke, dtype=np.float64)
    check_range("scale", scale, 1e-3, 1e3)
    angle = math.radians(degrees)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    centre = (stroke[:, :2].min(0) + stroke[:, :2].max(0)) / 2
    moved = (stroke[:, :2] - centre) @ rotation.T * scale + centre
    return np.concatenate([moved, stroke[:, 2:]], 1)


def random_turns(n_strokes: int, generator: torch.Generator, degrees: float = 15.0,
                 scale: float = 0.15) -> list[tuple[float, float]]:
    """(angle in degrees, scale) for each of ``n_strokes`` strokes: uniform in +-``degrees`` and 1 +- ``scale``."""
    u = torch.rand(n_strokes, 2, generator=generator, dtype=torch.float64) * 2 - 1
    return [(float(a) * degrees, 1 + float(s) * scale) for a, s in u]


# --- full mode: does training on perturbed strokes help? ------------------------------------------------------------

AUGMENT_COMMAND = ("python -m mlkit train --method protonet --tasks omniglot --n-way 20 --k-shot 1 --q-query 5 "
                   "--rotations --augment {augment} --within-alphabet --meta-batch 1 --steps {steps} "
                   "--val-every 500 --val-tasks 100 --checkpoint {checkpoint} --seed 0")


def augmentation_runs(results_dir: str | Path, steps: int = 2000, episodes: int = 600) -> dict[str, Any]:
    """The measurement behind "stroke perturbations do not help": the shipped model's training command for ``steps``
    episodes, once with ``--augment affine`` and once with ``--augment strokes`` (``AUGMENT_COMMAND``; a finished
    run in ``results_dir`` is reused), then both best checkpoints on the same ``episodes`` 20-way one-shot test
    episodes of the held-out alphabets and their paired difference (``mlkit.experiments.strokes``)."""
    from mlkit.cli import main as mlkit_main
    from mlkit.experiments.strokes import compare_checkpoints

    steps = check_int("steps", steps, 500)
    folder = Path(results_dir).expanduser() / f"augment-{steps}"
    best = {}
    for augment in ("affine", "strokes"):
        checkpoint = folder / augment / "protonet.pt"
        command = AUGMENT_COMMAND.format(augment=augment, steps=steps, checkpoint=checkpoint)
        print(f"$ {command}")
        code = mlkit_main(command.split()[3:])
        if code != 0:
            raise RuntimeError(f"training with --augment {augment} failed (exit {code})")
        best[augment] = folder / augment / "protonet.best.pt"
    scores = compare_checkpoints(best["strokes"], best["affine"], episodes)
    values = list(scores.values())
    return {"strokes": values[0], "affine": values[1], "difference": values[2], "steps": steps, "episodes": episodes}
