"""Training an RNN to be a bigram model, by gradient descent with the project's own BPTT.

Section 2.2 of the lab builds an RNN that is exactly a bigram model (rnnlab.bigram_rnn)
and remarks that gradient descent need not find such a solution. Here an ElmanRNN
starts from random weights and learns from sequences sampled from a bigram model T:
each step draws a fresh sequence w_1 … w_{L+1}, feeds w_1 … w_L as one-hot inputs,
and takes the cross-entropy of softmax(o_t) against w_{t+1}; rnnlab.bptt (reverse
accumulation, no autograd) gives the gradient, and plain gradient descent or Adam
applies it. If the RNN has learnt T, softmax(o_t) after reading v_i is the row T_i at
every step, whatever came before — which is what ``distance_to_table`` measures.
"""

import math
import numbers
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from rnnlab.bigram import BigramLM, check_stochastic
from rnnlab.bptt import bptt
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.rnn import ElmanRNN

OPTIMIZERS = ("adam", "gd")
LEARNING_RATES = {"adam": 0.05, "gd": 1.0}
"""Each optimizer's default step size, tuned on the lab's T (see benchmarks/RESULTS.md)."""


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
    optimizer: str
    steps_per_epoch: int
    length: int

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


def entropy_rate(T: torch.Tensor) -> float:
    """−Σ_i π_i Σ_j T_ij ln T_ij with π the stationary distribution: the lowest possible loss.

    π solves π T = π with Σ π = 1; a chain with several stationary distributions gets the
    least-squares one.
    """
    T = check_stochastic(T).detach().double()
    V = T.shape[0]
    system = torch.cat([(T - torch.eye(V, dtype=T.dtype)).T, torch.ones(1, V, dtype=T.dtype)])
    right = torch.cat([torch.zeros(V, dtype=T.dtype), torch.ones(1, dtype=T.dtype)])
    pi = torch.linalg.lstsq(system, right[:, None]).solution[:, 0]
    plogp = torch.where(T > 0, T * torch.log(T.clamp_min(1e-300)), torch.zeros_like(T))
    return float(-(pi * plogp.sum(dim=1)).sum())


class Adam:
    """Adam (Kingma & Ba, 2015) over a dict of tensors, updated in place.

    m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,
    θ ← θ − lr · m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ).
    """

    def __init__(
        self,
        parameters: dict[str, torch.Tensor],
        learning_rate: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.parameters = parameters
        self.learning_rate = learning_rate
        self.betas = betas
        self.eps = eps
        self.steps = 0
        self._m = {name: torch.zeros_like(p) for name, p in parameters.items()}
        self._v = {name: torch.zeros_like(p) for name, p in parameters.items()}

    def step(self, gradients: dict[str, torch.Tensor]) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        for name, parameter in self.parameters.items():
            g = gradients[name]
            self._m[name].mul_(beta1).add_(g, alpha=1 - beta1)
            self._v[name].mul_(beta2).addcmul_(g, g, value=1 - beta2)
            m_hat = self._m[name] / (1 - beta1**self.steps)
            v_hat = self._v[name] / (1 - beta2**self.steps)
            parameter.sub_(self.learning_rate * m_hat / (v_hat.sqrt() + self.eps))


class GradientDescent:
    """θ ← θ − lr · g, over a dict of tensors, updated in place."""

    def __init__(self, parameters: dict[str, torch.Tensor], learning_rate: float) -> None:
        self.parameters = parameters
        self.learning_rate = learning_rate

    def step(self, gradients: dict[str, torch.Tensor]) -> None:
        for name, parameter in self.parameters.items():
            parameter.sub_(self.learning_rate * gradients[name])


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
    hidden_size: int = 4,
    epochs: int = 100,
    steps_per_epoch: int = 10,
    length: int = 50,
    learning_rate: "float | None" = None,
    optimizer: str = "adam",
    sigma: str = "tanh",
    seed: int = 0,
    evaluation_length: int = 500,
    on_epoch: "Callable[[Epoch], None] | None" = None,
) -> Training:
    """Train an RNN on sequences sampled from the bigram model T (V, V).

    Each of epochs × steps_per_epoch steps samples a sequence of length + 1 tokens
    (fresh data each time, so the target is T itself, not one sample's counts), runs
    bptt(..., loss="cross_entropy", method="reverse") from h0 = 0 and applies the mean
    gradient per token. After each epoch the distance to T is measured on one fixed
    evaluation sequence of ``evaluation_length`` tokens and passed to on_epoch.
    """
    T = check_stochastic(T).detach().double()
    for name, value, least in (
        ("hidden_size", hidden_size, 1),
        ("epochs", epochs, 1),
        ("steps_per_epoch", steps_per_epoch, 1),
        ("length", length, 1),
        ("evaluation_length", evaluation_length, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InvalidValueError(f"{name} is {value!r}, expected a whole number ≥ {least}")
    if optimizer not in OPTIMIZERS:
        raise InvalidValueError(
            f"optimizer {optimizer!r} is not known, expected one of {', '.join(OPTIMIZERS)}"
        )
    if learning_rate is None:
        learning_rate = LEARNING_RATES[optimizer]
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
        raise InvalidTypeError(f"learning_rate must be a number, got {learning_rate!r}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise InvalidValueError(f"learning_rate is {learning_rate!r}, expected a finite number > 0")
    with _one_thread():
        return _run(
            T,
            hidden_size,
            epochs,
            steps_per_epoch,
            length,
            learning_rate,
            optimizer,
            sigma,
            seed,
            evaluation_length,
            on_epoch,
        )


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch on one thread, then restore the previous setting.

    The tensors here are tiny (a few words, a few hidden units): handing each operation
    to a thread pool costs far more than it saves (measured: softmax of a 50 × 2 tensor
    takes 3 µs on one thread, 70 µs to several ms on two busy cores).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _run(
    T: torch.Tensor,
    hidden_size: int,
    epochs: int,
    steps_per_epoch: int,
    length: int,
    learning_rate: float,
    optimizer: str,
    sigma: str,
    seed: int,
    evaluation_length: int,
    on_epoch: "Callable[[Epoch], None] | None",
) -> Training:
    """train() after its arguments are checked."""
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(seed)
    model = BigramLM(T)
    size = T.shape[0]
    rnn = initial_rnn(size, hidden_size, sigma, generator)
    parameters = {"U": rnn.U, "V": rnn.V, "W": rnn.W}
    update = (Adam if optimizer == "adam" else GradientDescent)(parameters, learning_rate)
    evaluation_ids = model.sample(evaluation_length, generator=generator)
    one_hot = torch.eye(size, dtype=torch.float64)
    history = []
    step, total_steps = 0, epochs * steps_per_epoch
    for epoch in range(1, epochs + 1):
        losses = []
        for _ in range(steps_per_epoch):
            ids = model.sample(length + 1, generator=generator)
            gradients = bptt(rnn, one_hot[ids[:-1]], ids[1:], loss="cross_entropy")
            # A constant step size leaves the weights jittering around the optimum with the
            # noise of each sampled sequence; decaying it linearly to 0 lets them settle.
            update.learning_rate = learning_rate * (1 - step / total_steps)
            step += 1
            # bptt's loss sums over the L steps; the mean per token keeps the step size
            # independent of the sequence length.
            update.step({name: getattr(gradients, name) / length for name in parameters})
            losses.append(gradients.loss / length)
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
        optimizer=optimizer,
        steps_per_epoch=steps_per_epoch,
        length=length,
    )
