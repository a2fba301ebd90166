"""The paths from U to L in an RNN unrolled over N steps (lab section 3.5).

U enters the chain of states at every h_k and L gathers every o_t, so a path from U to
L is fixed by where it enters and where it leaves: path (k, t), 1 ≤ k ≤ t ≤ N, is
U → h_k → h_{k+1} → … → h_t → o_t → L. V enters at the same places, so it has the same
paths; W enters only at o_t, so its paths are (t, t).

Kept apart from rnnlab.model.bptt so that the symbolic formulas and the graphs can count and
list the paths without importing the numerical code.
"""

from rnnlab import validation
from rnnlab.errors import InvalidValueError

Path = tuple[int, int]
"""A path from U (or V) to L: (k, t), U enters at h_k and the path leaves through o_t."""

WRT_NAMES = ("U", "V", "W")
"""The parameters a gradient can be taken with respect to."""


def paths(N: int) -> list[Path]:
    """Every path from U to L as (k, t), 1 ≤ k ≤ t ≤ N: U enters at h_k, leaves through o_t.

    Ordered by t, then k, as the lab's sums are written. Path (k, t) passes through the
    t − k + 1 states h_k … h_t.
    """
    N = sequence_length(N)
    return [(k, t) for t in range(1, N + 1) for k in range(1, t + 1)]


def count_paths(N: int) -> int:
    """How many paths lead from U to L in an RNN unrolled over N steps: N(N + 1)/2."""
    N = sequence_length(N)
    return N * (N + 1) // 2


def sequence_length(N: object) -> int:
    """N, the number of steps, checked: a whole number ≥ 1."""
    if isinstance(N, int) and not isinstance(N, bool) and N < 1:
        raise InvalidValueError(f"N = {N}: a sequence needs at least one step, so N ≥ 1")
    return validation.whole_number("N", N, least=1)
