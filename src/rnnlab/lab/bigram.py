"""Section 2 of the lab, bigram models as RNNs: the two sequences scored (2.1), the tiny
bigram RNN (2.2) and the general construction for any vocabulary (2.3), as numbers and
the sentences built from them. The construction itself is rnnlab.model.bigram_rnn."""

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from rnnlab.bigram.table import _sequence_probability
from rnnlab.lab.example import LIVE, Example
from rnnlab.model.bigram_rnn import _bigram_rnn
from rnnlab.model.rnn import ElmanRNN
from rnnlab.render.tables import number

# The written answers are plain text that reads the same on the terminal and the page: a
# subscript is ``_t`` or, when it has more than one character, ``_(t-1)``; no TeX.


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


def bigram_scores(example: Example) -> BigramScores:
    """Section 2.1: sequence_probability of each sequence under T."""
    scores = []
    for i, words in enumerate(example.seqs, start=1):
        ids = torch.tensor([example.Vocab.index(word) for word in words])
        switches = int((ids[1:] != ids[:-1]).sum())
        scores.append(
            SequenceScore(
                name=f"seq{i}",
                words=words,
                probability=float(_sequence_probability(ids, example.T)),
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
        answer=more_likely_sentence(
            [(s.name, s.stays, s.switches) for s in scores], likeliest, example.T, example.Vocab
        ),
    )


def tiny_bigram_rnn(example: Example) -> TinyBigramRNN:
    """Section 2.2: σ(x) = x, U = I, V = 0, W = Tᵀ; o_1 for input v_i is the row T_i."""
    rnn = _bigram_rnn(example.T)
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
        general_answer=general_sentence(size),
        rnn=rnn,
    )


def more_likely_sentence(
    transitions: Sequence[tuple[str, int, int]],
    likeliest: Sequence[str],
    T: torch.Tensor,
    vocab: Sequence[str],
) -> str:
    """Section 2.1's question: which sequence is more likely, and why.

    transitions: (name, stays, switches) for each sequence; likeliest: the names of the
    sequences with the highest probability.
    """
    if len(likeliest) == 1:
        verdict = f"The more likely is {likeliest[0]}."
    else:
        verdict = f"{' and '.join(likeliest)} are equally likely."
    counts = "; ".join(
        f"{name} stays on its word {_times(stays)} and switches {_times(switches)}"
        for name, stays, switches in transitions
    )
    stay = T.diagonal()
    switch = T[~torch.eye(len(vocab), dtype=torch.bool)]
    if len(vocab) > 1 and float(stay.min()) > float(switch.max()):
        why = (
            f" With this T staying ({_entries(T, vocab, True)}) is likelier than switching "
            f"({_entries(T, vocab, False)}), so fewer switches make a likelier sequence."
        )
    else:
        why = " Its probability is the product of the T entries of its transitions."
    return f"{verdict} {counts}.{why}"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _entries(T: torch.Tensor, vocab: Sequence[str], stay: bool) -> str:
    """T's staying (diagonal) or switching entries as "a→a 0.6, b→b 0.7", at most six."""
    pairs = [(i, j) for i in range(len(vocab)) for j in range(len(vocab)) if (i == j) == stay]
    shown = ", ".join(f"{vocab[i]}→{vocab[j]} {number(float(T[i, j]))}" for i, j in pairs[:6])
    return shown + (", …" if len(pairs) > 6 else "")


def general_sentence(size: int) -> str:
    """Section 2.3's question: the RNN that outputs T_i given v_i, for any V × V table."""
    return (
        f"For a V × V table T (here V = {size}), use the identity as σ, the V × V identity "
        "matrix as U, the V × V zero matrix as V, and Tᵀ as W (take h_0 = 0). Then "
        "h_t = U x_t = x_t: the hidden state is the one-hot vector of the current word, and "
        "V = 0 makes it forget every earlier word, just as a bigram model does. The output "
        "o_t = Tᵀ x_t picks out column i of Tᵀ, which is row T_i: the distribution of the "
        "next word after v_i. Equally, U = Tᵀ and W = I works; what matters is that U and W "
        "multiply to Tᵀ and that V drops the history."
    )
