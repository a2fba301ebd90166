"""What a bigram model's probabilities must offer, whatever holds them: the Probabilities
protocol, met by a dense table (rnnlab.bigram.table) and by sparse counts
(rnnlab.bigram.counts). The model (rnnlab.bigram.model) talks to them only through it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch


@dataclass(frozen=True)
class BackoffForm:
    """A bigram model as a list of pairs plus a default per context (``backoff_form``).

    Pr(w | c) = probabilities[i] where (contexts[i], words[i]) = (c, w) is listed;
    otherwise rest[c] for every predictable word w, and 0 for the others (the start
    symbol). contexts, words, probabilities: (P,), the pairs sorted by (c, w);
    rest, predictable: (V,). This is the shape of a backoff model, so the ARPA export
    writes it directly.
    """

    contexts: np.ndarray
    words: np.ndarray
    probabilities: np.ndarray
    rest: np.ndarray
    predictable: np.ndarray


class Probabilities(Protocol):
    """Pr(w | c) for the V word types of a model, held in some form (a table, counts).

    ``kind`` and ``arrays`` are what the model file stores (docs/bigram-format.md);
    everything else is how the model reads the probabilities.
    """

    kind: str

    @property
    def size(self) -> int:
        """V, the number of word types."""

    @property
    def smoothing(self) -> float:
        """k of add-k smoothing; 0 for maximum likelihood and for a given table."""

    def unseen_share(self) -> float:
        """The share of Pr(next word) given to pairs never seen, averaged over contexts as
        often as the text has them; 0 for maximum likelihood and for a given table."""

    def log_probs(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """ln Pr(words[i] | contexts[i]) for int64 ids (P,), as float64 (P,)."""

    def dense(self) -> torch.Tensor:
        """The table T (V, V), T[i, j] = Pr(v_j | v_i)."""

    def backoff_keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The listed pairs as sorted keys c·V + w (P,), their probabilities (P,), and
        rest (V,), the probability of every other predictable word after each context."""

    def sampler(self) -> Callable[[int, float], int]:
        """draw(c, u): the word after context c for a uniform u in [0, 1)."""

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays that hold the probabilities, by the names the model file uses."""
