"""An RNN that is a bigram model (section 2.2 and 2.3 of the lab), and scoring text with one.

With σ the identity and V = 0, h_t = U x_t forgets everything but the current word.
Take U = I, so h_t is the one-hot vector of the current word v_i, and W = Tᵀ, so
o_t = Tᵀ e_i, the i-th row of T: the distribution of the next word. This works for any
V × V stochastic T, at every step, whatever came before.
"""

import numpy as np
import torch

from rnnlab.errors import InvalidValueError
from rnnlab.model.activations import HIDDEN_NAMES, Activation, get_activation
from rnnlab.model.rnn import ElmanRNN
from rnnlab.validation import check_stochastic


def bigram_rnn(T: object) -> ElmanRNN:
    """The ElmanRNN with σ = identity, U = I, V = 0, W = Tᵀ, whose o_t is row T_i for input v_i."""
    return _bigram_rnn(check_stochastic(T))


def _bigram_rnn(T: torch.Tensor) -> ElmanRNN:
    """bigram_rnn of a T (V, V) already checked stochastic, in T's dtype."""
    size = T.shape[0]
    U = torch.eye(size, dtype=T.dtype)
    V = torch.zeros(size, size, dtype=T.dtype)
    return ElmanRNN(U, V, T.T, sigma="identity")


def rnn_log_probs(rnn: ElmanRNN, contexts: np.ndarray, words: np.ndarray, size: int) -> np.ndarray:
    """ln ŷ_t[words[i]] for the RNN's output after reading the word contexts[i], float64.

    With V = 0, equation (1) reads h_t = σ(U x_t): the state, and so o_t and ŷ_t, depend
    on the current word alone — that is what makes an RNN a bigram model. So the states
    are computed once per distinct context, by the one-hot fast path of forward_ids
    (x_t = e_c makes U x_t column c of U) less its V h_{t-1} term, which is zero. Where
    σ_out is elementwise, equation (2) is evaluated only at the coordinate each pair
    reads, o_t[w] = Σ_j W[w, j] h_t[j] over the j with h_t[j] ≠ 0: for the bigram RNN
    h_t is one-hot, so one term per distinct pair, where running forward_ids over the
    text costs O(H²) per token.
    """
    if rnn.input_size != size or rnn.output_size != size:
        raise InvalidValueError(
            f"the RNN has D = {rnn.input_size} inputs and O = {rnn.output_size} outputs, "
            f"expected {size} each (one per word type of the model)"
        )
    if torch.count_nonzero(rnn.V.detach()):
        raise InvalidValueError(
            "the RNN's V is not zero: its output depends on more than the last word, so "
            "it is not a bigram model and cannot score pairs"
        )
    states, which = np.unique(contexts, return_inverse=True)
    with torch.no_grad():
        if not (_is_elementwise(rnn.sigma) and _is_elementwise(rnn.output_sigma)):
            # softmax, or a σ that mixes units, needs a state's whole vector: h = σ(U e_c)
            # and o = W h for each distinct state.
            h = rnn.sigma(rnn.U.T[torch.from_numpy(states)])  # (S, H): equation (1)
            y_hat = rnn.output_sigma(h @ rnn.W.T)[torch.from_numpy(which), torch.from_numpy(words)]
            return _log(y_hat.double().numpy())
        state_of, unit, value = _sparse_states(rnn, states)
        W = rnn.W.double().numpy()
    nonzeros = np.bincount(state_of, minlength=len(states))
    first = np.cumsum(nonzeros) - nonzeros
    o = np.empty(len(words))
    step = max(1, _TERMS_PER_CHUNK // max(1, int(nonzeros.max(initial=1))))
    for begin in range(0, len(words), step):
        pairs = slice(begin, begin + step)
        terms = nonzeros[which[pairs]]
        pair = np.repeat(np.arange(len(terms)), terms)
        offset = np.arange(len(pair)) - np.repeat(np.cumsum(terms) - terms, terms)
        term = first[which[pairs]][pair] + offset
        contributions = W[words[pairs][pair], unit[term]] * value[term]
        o[pairs] = np.bincount(pair, weights=contributions, minlength=len(terms))
    return _log(rnn.output_sigma(torch.from_numpy(o)).numpy())


def _sparse_states(rnn: ElmanRNN, states: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nonzero entries of h = σ(U e_c) for each word c in states (sorted, distinct):
    (index into states, unit j, h[j]), grouped by state.

    Where σ(0) = 0 (identity, ReLU, tanh), a zero of U stays a zero of h, so only U's
    nonzero entries are visited — for the bigram RNN, U = I, one per word.
    """
    U = rnn.U.detach()
    if rnn.sigma(torch.zeros(1, dtype=U.dtype)).item() != 0:
        h = rnn.sigma(U.T[torch.from_numpy(states)]).double().numpy()  # (S, H), dense
        state_of, unit = np.nonzero(h)
        return state_of, unit, h[state_of, unit]
    unit, column = np.nonzero(U.numpy())
    position = np.minimum(np.searchsorted(states, column), len(states) - 1)
    kept = states[position] == column
    order = np.argsort(position[kept], kind="stable")
    state_of, unit = position[kept][order], unit[kept][order]
    value = rnn.sigma(U[torch.from_numpy(unit), torch.from_numpy(states[state_of])])
    return state_of, unit, value.double().numpy()


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(values)


_TERMS_PER_CHUNK = 2**22  # products W[w, j] h[j] held at once


def _is_elementwise(activation: Activation) -> bool:
    """Whether σ acts on each coordinate alone: the named hidden activations do."""
    return activation.name in HIDDEN_NAMES and get_activation(activation.name) is activation
