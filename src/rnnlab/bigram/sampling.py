"""Drawing sequences from a bigram model: the Markov chain T, one inverse-CDF draw a step."""

import numpy as np
import torch

from rnnlab.bigram.api import Probabilities


def sample_ids(
    probabilities: Probabilities,
    uniforms: torch.Tensor,
    length: int,
    first: int | None,
    end: int | None,
) -> np.ndarray:
    """Up to ``length`` ids of the chain: ``first`` (uniform over the V types where None,
    from uniforms[0]), then each next one drawn after the last with uniforms[1], [2], …;
    stops before ``end`` where it is drawn. uniforms: (≥ length,) float64 in [0, 1)."""
    u = uniforms.numpy()
    V = probabilities.size
    current = min(int(u[0] * V), V - 1) if first is None else first
    draw = probabilities.sampler()
    ids = [current]
    for value in u[1:]:
        if len(ids) == length:
            break
        current = draw(current, value)
        if current == end:
            break
        ids.append(current)
    return np.array(ids, dtype=np.int64)
