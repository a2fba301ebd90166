"""bigram_rnn: o_t is the row of T for the current word, at every step."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab import BigramLM, bigram_rnn


def random_table(V, generator):
    counts = torch.rand(V, V, generator=generator, dtype=torch.float64)
    counts[counts < 0.3] = 0  # some impossible transitions too
    counts[:, 0] += 0.01
    return counts / counts.sum(dim=1, keepdim=True)


@pytest.mark.parametrize("V", [2, 7, 50])
def test_every_step_outputs_the_row_of_the_current_word(V, generator):
    T = random_table(V, generator)
    rnn = bigram_rnn(T)
    ids = torch.randint(0, V, (40,), generator=generator)
    one_hot = torch.nn.functional.one_hot(ids, V).to(T.dtype)
    for trace in (rnn.forward(one_hot), rnn.forward_ids(ids)):
        # Each o_t compared with the table row picked by hand, step by step.
        for t, i in enumerate(ids.tolist()):
            torch.testing.assert_close(trace.o[t], T[i], rtol=0, atol=1e-15)


def test_the_lab_table():
    T = torch.tensor([[0.6, 0.4], [0.3, 0.7]])
    rnn = bigram_rnn(T)
    assert rnn.sigma.name == "identity"
    trace = rnn.forward(torch.eye(2))
    torch.testing.assert_close(trace.o, T)
    torch.testing.assert_close(trace.y_hat, T)


@settings(max_examples=25, deadline=None)
@given(V=st.integers(1, 15), N=st.integers(1, 20), seed=st.integers(0, 2**31))
def test_any_history_any_size(V, N, seed):
    generator = torch.Generator().manual_seed(seed)
    T = random_table(V, generator)
    ids = torch.randint(0, V, (N,), generator=generator)
    h0 = torch.randn(V, generator=generator, dtype=torch.float64)
    # V = 0 in the construction, so even a non-zero h0 leaves no trace after step 1.
    trace = BigramLM(T).to_rnn().forward_ids(ids, h0=torch.zeros(V, dtype=torch.float64))
    torch.testing.assert_close(trace.o, T[ids], rtol=0, atol=1e-15)
    later = bigram_rnn(T).forward_ids(ids, h0=h0)
    torch.testing.assert_close(later.o, T[ids], rtol=0, atol=1e-15)


def test_rejects_a_table_that_is_not_stochastic():
    with pytest.raises(ValueError, match="row 1 of T sums to 1.5"):
        bigram_rnn(torch.tensor([[1.0, 0.5], [0.5, 0.5]]))
