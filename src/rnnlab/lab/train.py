"""Training an RNN to be a bigram model, by gradient descent with the project's own BPTT.

Section 2.2 of the lab builds an RNN that is exactly a bigram model (rnnlab.bigram_rnn)
and remarks that gradient descent need not find such a solution. Here an ElmanRNN
starts from random weights and learns from sequences sampled from a bigram model T:
each step draws a fresh sequence w_1 … w_{L+1}, feeds w_1 … w_L as one-hot inputs,
and takes the cross-entropy of softmax(o_t) against w_{t+1}; rnnlab.bptt (reverse
accumulation, no autograd) gives the gradient, and torch.optim's SGD or Adam applies
it. If the RNN has learnt T, softmax(o_t) after reading v_i is the row T_i at
every step, whatever came before — which is what ``distance_to_table`` measures.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from rnnlab.bigram import BigramLM
from rnnlab.bigram.table import TableProbabilities
from rnnlab.errors import InvalidTypeError
from rnnlab.model.activations import HIDDEN_NAMES
from rnnlab.model.bptt import bptt
from rnnlab.model.rnn import ElmanRNN
from rnnlab.validation import check_stochastic, choice, real_number, whole_number

OPTIMIZERS = ("adam", "gd")
LEARNING_RATES = {"adam": 0.05, "gd": 1.0}
"""Each optimizer's default step size, tuned on the lab's T (see benchmarks/RESULTS.md)."""


@dataclass(frozen=True)
class TrainingConfig:
    """The settings of a training run, and the one home of their defaults.

    hidden_size: H; epochs × steps_per_epoch updates, each on a fresh sequence of
    ``length`` + 1 tokens; learning_rate: the first step size, decayed linearly to 0
    (None: the optimizer's default in LEARNING_RATES); optimizer: "adam" or "gd"; sigma:
    the hidden activation; seed: of the initial weights and the samples;
    evaluation_length: tokens of the held-out sequence the distance to T is measured on.
    """

    hidden_size: int = 4
    epochs: int = 100
    steps_per_epoch: int = 10
    length: int = 50
    learning_rate: "float | None" = None
    optimizer: str = "adam"
    sigma: str = "tanh"
    seed: int = 0
    evaluation_length: int = 500

    def __post_init__(self) -> None:
        for name in ("hidden_size", "epochs", "steps_per_epoch", "length", "evaluation_length"):
            whole_number(name, getattr(self, name), least=1)
        whole_number("seed", self.seed, most=2**63 - 1)
        choice("optimizer", self.optimizer, OPTIMIZERS)
        choice("sigma", self.sigma, HIDDEN_NAMES)
        if self.learning_rate is not None:
            real_number("learning_rate", self.learning_rate, positive=True)

    @property
    def step_size(self) -> float:
        """The first step size: learning_rate, or the optimizer's default."""
        return LEARNING_RATES[self.optimizer] if self.learning_rate is None else self.learning_rate


@dataclass(frozen=True)
class Distance:
    """How far predicted next-word distributions are from the rows of T.

    max_abs: max over steps t and words j of |p_t[j] − T[w_t, j]|;
    total_variation: max over t of ½ Σ_j |p_t[j] − T[w_t, j]|.
    """

    max_abs: float
    total_variation: float


@dataclass(frozen=True)
class Epoch:
    """One epoch: the mean cross-entropy per predicted token over its sequences (nats),
    and the distance to T afterwards on the fixed evaluation sequence."""

    epoch: int
    loss: float
    distance: Distance


@dataclass(frozen=True)
class Training:
    """A finished run: the trained RNN, its history per epoch, the seconds it took, the
    held-out evaluation sequence (token ids), and how it was trained."""

    rnn: ElmanRNN
    history: tuple[Epoch, ...]
    seconds: float
    evaluation_ids: torch.Tensor
    config: TrainingConfig

    @property
    def distance(self) -> Distance:
        """The distance to T after the last epoch."""
        return self.history[-1].distance


def predicted_distributions(rnn: ElmanRNN, ids: torch.Tensor) -> torch.Tensor:
    """softmax(o_t) for each step of the token ids (N,): the predicted next-word rows (N, O)."""
    return torch.softmax(rnn.forward_ids(ids).o.detach(), dim=-1)


def distance_to_table(predicted: torch.Tensor, T: torch.Tensor, ids: torch.Tensor) -> Distance:
    """Compare each predicted row (N, V) with T's row for the word just read, ids (N,)."""
    error = (predicted.double() - T.detach().double()[ids]).abs()
    return Distance(max_abs=float(error.max()), total_variation=float(0.5 * error.sum(dim=1).max()))


@dataclass(frozen=True)
class LearntRow:
    """What the trained RNN predicts after reading word i, over the evaluation sequence.

    mean: (V,) the mean of softmax(o_t) over the steps t that read word i; max_error: the
    largest |softmax(o_t)[j] − T[i, j]| over those steps and all j.
    """

    word: int
    mean: torch.Tensor
    max_error: float


def learnt_rows(result: "Training", T: torch.Tensor) -> list[LearntRow]:
    """One LearntRow per word that the evaluation sequence reads, in word order."""
    ids = result.evaluation_ids[:-1]
    predicted = predicted_distributions(result.rnn, ids).double()
    rows = []
    for i in ids.unique().tolist():
        here = predicted[ids == i]
        error = float((here - T.detach().double()[i]).abs().max())
        rows.append(LearntRow(word=i, mean=here.mean(dim=0), max_error=error))
    return rows


def constructed_rows(
    rnn: ElmanRNN, rows: "list[LearntRow]", most: int = 10
) -> dict[int, torch.Tensor]:
    """The RNN's o_1 (V,) after each word of the first ``most`` rows, by word id."""
    words = [row.word for row in rows[:most]]
    return dict(zip(words, rnn.forward_ids(torch.tensor(words)).o, strict=True)) if words else {}


def entropy_rate(T: torch.Tensor) -> float:
    """−Σ_i π_i Σ_j T_ij ln T_ij with π the stationary distribution: the lowest possible loss.

    π solves π T = π with Σ π = 1; a chain with several stationary distributions gets the
    least-squares one.
    """
    return _entropy_rate(check_stochastic(T).detach().double())


def _entropy_rate(T: torch.Tensor) -> float:
    """entropy_rate of a T (V, V), float64, already checked stochastic."""
    V = T.shape[0]
    system = torch.cat([(T - torch.eye(V, dtype=T.dtype)).T, torch.ones(1, V, dtype=T.dtype)])
    right = torch.cat([torch.zeros(V, dtype=T.dtype), torch.ones(1, dtype=T.dtype)])
    pi = torch.linalg.lstsq(system, right[:, None]).solution[:, 0]
    plogp = torch.where(T > 0, T * torch.log(T.clamp_min(1e-300)), torch.zeros_like(T))
    return float(-(pi * plogp.sum(dim=1)).sum())


def initial_rnn(V: int, hidden_size: int, sigma: str, generator: torch.Generator) -> ElmanRNN:
    """Random U (H, V), V (H, H), W (V, H), each entry N(0, 1/fan_in), in float64."""

    def draw(rows: int, columns: int) -> torch.Tensor:
        scale = 1 / math.sqrt(columns)
        return scale * torch.randn(rows, columns, dtype=torch.float64, generator=generator)

    return ElmanRNN(
        draw(hidden_size, V),
        draw(hidden_size, hidden_size),
        draw(V, hidden_size),
        sigma=sigma,
        output_sigma="softmax",
    )


def train(
    T: torch.Tensor,
    config: "TrainingConfig | None" = None,
    on_epoch: "Callable[[Epoch], None] | None" = None,
) -> Training:
    """Train an RNN on sequences sampled from the bigram model T (V, V).

    Each of epochs × steps_per_epoch steps samples a sequence of length + 1 tokens
    (fresh data each time, so the target is T itself, not one sample's counts), runs
    bptt(..., loss="cross_entropy", method="reverse") from h0 = 0 and hands the mean
    gradient per token to torch.optim (Adam or SGD) under a LambdaLR schedule that falls
    linearly to 0. After each epoch the distance to T is measured on one fixed
    evaluation sequence and passed to on_epoch. ``config``: TrainingConfig() if None.
    """
    T = check_stochastic(T).detach().double()
    config = TrainingConfig() if config is None else config
    if not isinstance(config, TrainingConfig):
        raise InvalidTypeError(f"config is {config!r}, expected a TrainingConfig")
    return _train(T, config, on_epoch)


def _train(
    T: torch.Tensor, config: TrainingConfig, on_epoch: "Callable[[Epoch], None] | None"
) -> Training:
    """train on a T (V, V), float64, already checked stochastic, and a TrainingConfig."""
    V, H = T.shape[0], config.hidden_size
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(config.seed)
    model = BigramLM._of(TableProbabilities(T), None)
    rnn = initial_rnn(V, H, config.sigma, generator)
    parameters = {"U": rnn.U, "V": rnn.V, "W": rnn.W}
    # fused: one kernel for all the weights, half the cost per step of the default here.
    optimizer = _OPTIMIZERS[config.optimizer](parameters.values(), lr=config.step_size, fused=True)
    total_steps = config.epochs * config.steps_per_epoch
    # A constant step size leaves the weights jittering around the optimum with the noise
    # of each sampled sequence; decaying it linearly to 0 lets them settle.
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total_steps)
    evaluation_ids = model.sample(config.evaluation_length, generator=generator)
    one_hot = torch.eye(V, dtype=torch.float64)
    history = []
    for epoch in range(1, config.epochs + 1):
        losses = []
        for _ in range(config.steps_per_epoch):
            ids = model.sample(config.length + 1, generator=generator)
            gradients = bptt(rnn, one_hot[ids[:-1]], ids[1:], loss="cross_entropy")
            # bptt's loss sums over the steps; the mean per token keeps the step size
            # independent of the sequence length.
            for name, parameter in parameters.items():
                parameter.grad = getattr(gradients, name) / config.length
            optimizer.step()
            schedule.step()
            losses.append(gradients.loss / config.length)
        distance = distance_to_table(
            predicted_distributions(rnn, evaluation_ids[:-1]), T, evaluation_ids[:-1]
        )
        record = Epoch(epoch=epoch, loss=sum(losses) / len(losses), distance=distance)
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return Training(
        rnn=rnn,
        history=tuple(history),
        seconds=time.perf_counter() - start,
        evaluation_ids=evaluation_ids,
        config=config,
    )


_OPTIMIZERS = {"adam": torch.optim.Adam, "gd": torch.optim.SGD}
