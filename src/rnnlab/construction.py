"""An RNN that is a bigram model (section 2.2 and 2.3 of the lab).

With σ the identity and V = 0, h_t = U x_t forgets everything but the current word.
Take U = I, so h_t is the one-hot vector of the current word v_i, and W = Tᵀ, so
o_t = Tᵀ e_i, the i-th row of T: the distribution of the next word. This works for any
V × V stochastic T, at every step, whatever came before.
"""

import torch

from rnnlab.bigram import check_stochastic
from rnnlab.rnn import ElmanRNN


def bigram_rnn(T: object) -> ElmanRNN:
    """The ElmanRNN with σ = identity, U = I, V = 0, W = Tᵀ, whose o_t is row T_i for input v_i."""
    T = check_stochastic(T)
    size = T.shape[0]
    U = torch.eye(size, dtype=T.dtype)
    V = torch.zeros(size, size, dtype=T.dtype)
    return ElmanRNN(U, V, T.T, sigma="identity")
