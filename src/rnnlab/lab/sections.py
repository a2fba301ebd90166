"""Every answer of the lab as data, computed once from an Example.

``answers(example)`` returns one frozen tree, ``Answers``: a dataclass per section of the
lab, each holding the numbers it asks for and its written answers, which are sentences
built from those numbers. The terminal (``rnnlab run``), the report page and
results.json are renderings of this tree and never compute anything themselves.

``plain(answers)`` is the tree as plain JSON data: numbers as float64, tensors as lists;
fields that hold live objects (an ElmanRNN, a Trace, a Training run) are left out.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass

import torch

from rnnlab.bigram import sequence_probability
from rnnlab.lab import prose
from rnnlab.lab.drawings import Figures, lab_figures
from rnnlab.lab.example import Example
from rnnlab.lab.methods import MethodComparison, method_comparison, random_comparison
from rnnlab.lab.scalar import Backward, backward
from rnnlab.lab.train import (
    Epoch,
    LearntRow,
    Training,
    TrainingConfig,
    constructed_rows,
    distance_to_table,
    learnt_rows,
    train,
)
from rnnlab.model.activations import HIDDEN_NAMES, get_activation
from rnnlab.model.bigram_rnn import bigram_rnn
from rnnlab.model.rnn import ElmanRNN, Trace

LIVE = {"plain": False}
"""Field metadata: a live object (a model, a trace), not part of the plain data."""


@dataclass(frozen=True, eq=False)
class ForwardStep:
    """Section 1.2: the RNN run on x_1 … x_N from h0. z (N, H), h (N+1, H), o (N, O).

    ``values``: h1, o1, h2, o2, … by the lab's names.
    """

    sigma: str
    xs: torch.Tensor
    z: torch.Tensor
    h: torch.Tensor
    o: torch.Tensor
    values: dict[str, torch.Tensor]
    one_more_answer: str
    graph_answer: str
    trace: Trace = field(metadata=LIVE)


@dataclass(frozen=True, eq=False)
class SequenceScore:
    """One sequence of section 2.1: its words, Pr(sequence) under T, and its transitions."""

    name: str
    words: tuple[str, ...]
    probability: float
    stays: int
    switches: int


@dataclass(frozen=True, eq=False)
class BigramScores:
    """Section 2.1: each sequence's probability under T, and which is the most likely."""

    vocab: tuple[str, ...]
    T: torch.Tensor
    sequences: tuple[SequenceScore, ...]
    more_likely: str
    answer: str


@dataclass(frozen=True, eq=False)
class TinyBigramRNN:
    """Sections 2.2–2.3: bigram_rnn(T) and its first output o_1 for each one-hot input v_i."""

    U: torch.Tensor
    V: torch.Tensor
    W: torch.Tensor
    outputs: torch.Tensor
    equal: tuple[bool, ...]
    matches_T: bool
    general_answer: str
    rnn: ElmanRNN = field(metadata=LIVE)


@dataclass(frozen=True, eq=False)
class H11Gradient:
    """Section 3.4 on section 1's U, V, x_1, h0: ∂h_1/∂U_(1,1) for each σ (autograd),
    U_grad (the gradient of h_(1,1) with respect to U with the example's σ), z_1."""

    sigma: str
    dh1_dU11: dict[str, torch.Tensor]
    U_grad: torch.Tensor
    z1: torch.Tensor
    is_zero: bool
    answer: str
    U_grad_answer: str


@dataclass(frozen=True, eq=False)
class Learning:
    """Beyond the lab: an RNN trained on samples of T, against T and bigram_rnn(T)."""

    config: TrainingConfig
    rows: tuple[LearntRow, ...]
    constructed_rows: dict[int, torch.Tensor]
    max_abs: float
    total_variation: float
    constructed_max_abs: float
    evaluation_steps: int
    seconds: float
    run: Training = field(metadata=LIVE)


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
    settings (TrainingConfig() by default)."""
    learnt = learning(example.T, training or TrainingConfig())
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


def forward_step(example: Example) -> ForwardStep:
    """Section 1.2: the RNN with the example's σ run on its inputs from h0."""
    trace = ElmanRNN(example.U, example.V, example.W, sigma=example.sigma).forward(
        example.xs, example.h0
    )
    N = len(example.xs)
    values = {}
    for t in range(1, N + 1):
        values |= {f"h{t}": trace.h[t], f"o{t}": trace.o[t - 1]}
    return ForwardStep(
        sigma=example.sigma,
        xs=example.xs,
        z=trace.z,
        h=trace.h,
        o=trace.o,
        values=values,
        one_more_answer=prose.one_more_state(N),
        graph_answer=prose.forward_graph(N, example.sigma),
        trace=trace,
    )


def bigram_scores(example: Example) -> BigramScores:
    """Section 2.1: sequence_probability of each sequence under T."""
    one_hot = torch.eye(len(example.Vocab), dtype=torch.float64)
    scores = []
    for i, words in enumerate(example.seqs, start=1):
        ids = torch.tensor([example.Vocab.index(word) for word in words])
        switches = int((ids[1:] != ids[:-1]).sum())
        scores.append(
            SequenceScore(
                name=f"seq{i}",
                words=words,
                probability=float(sequence_probability(one_hot[ids], example.T)),
                stays=len(words) - 1 - switches,
                switches=switches,
            )
        )
    best = max(score.probability for score in scores)
    likeliest = [score.name for score in scores if score.probability == best]
    more_likely = likeliest[0] if len(likeliest) == 1 else "none: " + " and ".join(likeliest)
    return BigramScores(
        vocab=example.Vocab,
        T=example.T,
        sequences=tuple(scores),
        more_likely=more_likely,
        answer=prose.more_likely(
            [(s.name, s.stays, s.switches) for s in scores], likeliest, example.T, example.Vocab
        ),
    )


def tiny_bigram_rnn(example: Example) -> TinyBigramRNN:
    """Section 2.2: σ(x) = x, U = I, V = 0, W = Tᵀ; o_1 for input v_i is the row T_i."""
    rnn = bigram_rnn(example.T)
    size = len(example.Vocab)
    one_hot = torch.eye(size, dtype=torch.float64)
    outputs = torch.stack([rnn.forward(v[None], h0=torch.zeros(size)).o[0] for v in one_hot])
    equal = tuple(
        bool(torch.allclose(output, row)) for output, row in zip(outputs, example.T, strict=True)
    )
    return TinyBigramRNN(
        U=rnn.U,
        V=rnn.V,
        W=rnn.W,
        outputs=outputs,
        equal=equal,
        matches_T=all(equal),
        general_answer=prose.general_bigram_rnn(size),
        rnn=rnn,
    )


def h11_gradient(example: Example) -> H11Gradient:
    """Section 3.4: ∂h_1/∂U_(1,1) for every σ, and ∂h_(1,1)/∂U by h11.backward()."""
    U, V, x1, h0 = example.U, example.V, example.xs[0], example.h0

    def h1(U11: torch.Tensor, sigma: str) -> torch.Tensor:
        varied = torch.cat([U11[None], U[0, 1:]])
        return get_activation(sigma)(torch.cat([varied[None], U[1:]]) @ x1 + V @ h0)  # (1)

    by_sigma = {
        name: torch.autograd.functional.jacobian(lambda u, name=name: h1(u, name), U[0, 0])
        for name in HIDDEN_NAMES
    }
    # The lab's own cell: h11.backward() fills U.grad.
    U_leaf = U.clone().requires_grad_()
    sigma = get_activation(example.sigma)
    h11 = sigma(U_leaf @ x1 + V @ h0)[0]
    h11.backward()
    z1 = U @ x1 + V @ h0
    slope = float(sigma.derivative(z1[:1], sigma(z1[:1]))[0])
    is_zero = all(bool((value == 0).all()) for value in by_sigma.values())
    return H11Gradient(
        sigma=example.sigma,
        dh1_dU11=by_sigma,
        U_grad=U_leaf.grad,
        z1=z1,
        is_zero=is_zero,
        answer=prose.h11(x1, by_sigma, is_zero),
        U_grad_answer=prose.U_grad(example.sigma, float(z1[0]), slope, x1, U_leaf.grad),
    )


def learning(
    T: torch.Tensor,
    config: TrainingConfig,
    on_epoch: "Callable[[Epoch], None] | None" = None,
    most: "int | None" = None,
) -> Learning:
    """Train an RNN on samples of T, and measure it against T and bigram_rnn(T).

    on_epoch: as for rnnlab.lab.train.train; most: how many words' outputs of bigram_rnn(T)
    to keep (all that the evaluation sequence reads if None).
    """
    run = train(T, config, on_epoch)
    ids = run.evaluation_ids[:-1]
    constructed = bigram_rnn(T)
    exact = distance_to_table(constructed.forward_ids(ids).o, T, ids)
    rows = learnt_rows(run, T)
    return Learning(
        config=config,
        rows=tuple(rows),
        constructed_rows=constructed_rows(
            constructed, rows, most=len(rows) if most is None else most
        ),
        max_abs=run.distance.max_abs,
        total_variation=run.distance.total_variation,
        constructed_max_abs=exact.max_abs,
        evaluation_steps=len(ids),
        seconds=run.seconds,
        run=run,
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
