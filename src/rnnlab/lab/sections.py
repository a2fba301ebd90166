"""Every answer of the lab as data, computed once from an Example.

``answers(example)`` returns one frozen tree, ``Answers``: a dataclass per section of the
lab, each holding the numbers it asks for and its written answers, which are sentences
built from those numbers. The terminal (``rnnlab run``), the report page and
results.json are renderings of this tree and never compute anything themselves.

``plain(answers)`` is the tree as plain JSON data: numbers as float64, tensors as lists;
fields that hold live objects (an ElmanRNN, a Trace, a Training run) are left out.
"""

from dataclasses import dataclass, field, fields, is_dataclass

import torch

from rnnlab.errors import InvalidTypeError
from rnnlab.lab.backward import Backward, H11Gradient, backward, h11_gradient
from rnnlab.lab.beyond import Learning, learning
from rnnlab.lab.bigram import (
    BigramScores,
    SequenceScore,
    TinyBigramRNN,
    bigram_scores,
    tiny_bigram_rnn,
)
from rnnlab.lab.drawings import Figures, lab_figures
from rnnlab.lab.example import LIVE, Example
from rnnlab.lab.forward import ForwardStep, forward_step
from rnnlab.lab.methods import MethodComparison, method_comparison, random_comparison
from rnnlab.lab.train import TrainingConfig


@dataclass(frozen=True, eq=False)
class Answers:
    """The whole lab, answered: one field per section, its figures as data, and the
    Example it was run on."""

    forward: ForwardStep
    bigram: BigramScores
    tiny: TinyBigramRNN
    backward: Backward
    h11: H11Gradient
    methods: tuple[MethodComparison, ...]
    learning: Learning
    figures: Figures = field(metadata=LIVE)
    example: Example = field(metadata=LIVE)


def answers(example: Example, training: "TrainingConfig | None" = None) -> Answers:
    """Answer every question of the lab on ``example``; ``training``: the learning run's
    settings (TrainingConfig() by default).

    The Example checked itself when it was made, so the sections compute on it unchecked.
    """
    if not isinstance(example, Example):
        raise InvalidTypeError(f"example is {example!r:.80}, expected an Example")
    training = TrainingConfig() if training is None else training
    if not isinstance(training, TrainingConfig):
        raise InvalidTypeError(f"training is {training!r:.80}, expected a TrainingConfig")
    learnt = learning(example.T, training)
    return Answers(
        forward=forward_step(example),
        bigram=bigram_scores(example),
        tiny=tiny_bigram_rnn(example),
        backward=backward(example.scalar, example.sigma),
        h11=h11_gradient(example),
        methods=(method_comparison(example), random_comparison()),
        learning=learnt,
        figures=lab_figures(example, learnt.run),
        example=example,
    )


def plain(value: object) -> object:
    """A value of the tree as JSON data: dataclasses as objects (live fields left out),
    tensors as (nested) lists of float64, tuples as lists, (k, t) keys as "(k, t)"."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: plain(getattr(value, item.name))
            for item in fields(value)
            if item.metadata.get("plain", True)
        }
    if isinstance(value, torch.Tensor):
        data = value.detach().double()
        return data.item() if data.ndim == 0 else data.tolist()
    if isinstance(value, dict):
        return {_key(key): plain(entry) for key, entry in value.items()}
    if isinstance(value, (tuple, list)):
        return [plain(entry) for entry in value]
    return value


def _key(key: object) -> str:
    if isinstance(key, tuple):
        return "(" + ", ".join(str(part) for part in key) + ")"
    return str(key)


__all__ = [
    "Answers",
    "Backward",
    "BigramScores",
    "ForwardStep",
    "H11Gradient",
    "Learning",
    "SequenceScore",
    "TinyBigramRNN",
    "answers",
    "backward",
    "bigram_scores",
    "forward_step",
    "h11_gradient",
    "learning",
    "plain",
    "tiny_bigram_rnn",
]
