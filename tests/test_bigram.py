"""sequence_probability and BigramLM over a given table, against direct products."""

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab import BigramLM, sequence_probability

T = torch.tensor([[0.6, 0.4], [0.3, 0.7]])
T64 = torch.tensor([[0.6, 0.4], [0.3, 0.7]], dtype=torch.float64)
Vocab = torch.eye(2)
seq1 = Vocab[[0, 0, 0, 0, 0, 0, 1, 1, 0, 0]]  # aaaaaabbaa
seq2 = Vocab[[1, 0, 1, 1, 1, 1, 0, 1, 1, 1]]  # babbbbabbb


def random_table(V, generator):
    counts = torch.rand(V, V, generator=generator, dtype=torch.float64) + 0.01
    return counts / counts.sum(dim=1, keepdim=True)


def direct_product(ids, T):
    """Π T[w_t, w_{t+1}], one factor at a time in plain Python."""
    product = 1.0
    for previous, current in itertools.pairwise(ids):
        product *= float(T[previous, current])
    return product


def test_lab_sequences_by_hand():
    # aaaaaabbaa: five a→a, then a→b, b→b, b→a, a→a: 0.6^6 · 0.4 · 0.7 · 0.3
    # babbbbabbb: b→a, a→b, b→b ×3, b→a, a→b, b→b ×2: 0.3^2 · 0.4^2 · 0.7^5
    p1, p2 = sequence_probability(seq1, T), sequence_probability(seq2, T)
    assert p1.ndim == 0 and p1.dtype == torch.float32
    assert p1.item() == pytest.approx(0.6**6 * 0.4 * 0.7 * 0.3, rel=1e-6)
    assert p2.item() == pytest.approx(0.3**2 * 0.4**2 * 0.7**5, rel=1e-6)
    assert f"{p1:.5f}" == "0.00392" and f"{p2:.5f}" == "0.00242"


@settings(max_examples=30, deadline=None)
@given(V=st.integers(1, 12), N=st.integers(1, 30), seed=st.integers(0, 2**31))
def test_random_tables_against_a_direct_product(V, N, seed):
    generator = torch.Generator().manual_seed(seed)
    T = random_table(V, generator)
    ids = torch.randint(0, V, (N,), generator=generator)
    expected = direct_product(ids.tolist(), T)
    seq = torch.nn.functional.one_hot(ids, V)
    assert sequence_probability(seq, T).item() == pytest.approx(expected, rel=1e-12)
    lm = BigramLM(T)
    assert lm.probability(ids) == pytest.approx(expected, rel=1e-12)
    assert lm.probability(seq) == pytest.approx(expected, rel=1e-12)
    assert lm.log_probability(ids.tolist()) == pytest.approx(math.log(expected), rel=1e-12)


def test_sequence_probability_is_differentiable_in_T():
    table = T.double().requires_grad_()
    sequence_probability(seq1[:3], table).backward()  # a a a: p = T[0,0]^2, dp/dT[0,0] = 2 T[0,0]
    expected = torch.zeros(2, 2, dtype=torch.float64)
    expected[0, 0] = 2 * 0.6
    torch.testing.assert_close(table.grad, expected)


def test_a_zero_on_the_path_gives_probability_0_and_a_finite_gradient():
    table = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=torch.float64, requires_grad=True)
    p = sequence_probability(Vocab[[0, 1, 1]], table)  # T[0,1] · T[1,1] = 0 · 0.5
    p.backward()
    assert p.item() == 0.0
    # ∂p/∂T[0,1] = T[1,1] = 0.5, ∂p/∂T[1,1] = T[0,1] = 0, the rest 0.
    torch.testing.assert_close(table.grad, torch.tensor([[0, 0.5], [0, 0]], dtype=torch.float64))


def test_pair_probability_is_the_table_entry():
    lm = BigramLM(T, vocab=["a", "b"])
    assert lm.probability(["a", "b"]) == pytest.approx(0.4)
    assert lm.probability([1, 0]) == pytest.approx(0.3)
    assert lm.probability(["b"]) == 1.0  # the first token is context only


def test_all_input_forms_agree():
    lm = BigramLM(T, vocab=["a", "b"])
    tokens = list("aaaaaabbaa")
    ids = [0, 0, 0, 0, 0, 0, 1, 1, 0, 0]
    values = {
        lm.log_probability(tokens),
        lm.log_probability(ids),
        lm.log_probability(torch.tensor(ids)),
        lm.log_probability(seq1),
        lm.log_probability(seq1.tolist()),
    }
    assert len(values) == 1
    assert values.pop() == pytest.approx(math.log(0.6**6 * 0.4 * 0.7 * 0.3), rel=1e-6)


def test_a_million_tokens_do_not_underflow():
    lm = BigramLM(T64)
    ids = torch.ones(1_000_000, dtype=torch.long)  # b b b …: 999 999 factors of 0.7
    assert lm.log_probability(ids) == pytest.approx(999_999 * math.log(0.7), rel=1e-12)
    assert lm.probability(ids) == 0.0  # the probability itself is below the smallest float


def test_perplexity_by_hand():
    lm = BigramLM(T64, vocab=["a", "b"])
    # Predicted tokens: a→b (0.4), b→b (0.7), then b→a (0.3): three in all.
    expected = math.exp(-(math.log(0.4) + math.log(0.7) + math.log(0.3)) / 3)
    assert lm.perplexity([["a", "b", "b"], ["b", "a"]]) == pytest.approx(expected, rel=1e-12)


def test_perplexity_and_score_share_one_convention_parameter():
    """The lab's perplexity takes each sequence as it is; score wraps sentences in <s> and
    </s>. Each takes the other's convention through ``boundaries``, with the same number."""
    lm = BigramLM.estimate([["a", "b", "b"], ["b", "a"], ["a"]], smoothing=0.5)
    held = [["a", "b"], ["b", "b", "a"]]
    V = 4  # </s>, <unk>, a, b: every type but <s> can be predicted
    probability = {  # (C(c, w) + 0.5) / (C(c) + 0.5 V), the counts read off the corpus
        ("a", "b"): (1 + 0.5) / (3 + 0.5 * V),
        ("b", "b"): (1 + 0.5) / (3 + 0.5 * V),
        ("b", "a"): (1 + 0.5) / (3 + 0.5 * V),
        ("<s>", "a"): (2 + 0.5) / (3 + 0.5 * V),
        ("<s>", "b"): (1 + 0.5) / (3 + 0.5 * V),
        ("b", "</s>"): (1 + 0.5) / (3 + 0.5 * V),
        ("a", "</s>"): (2 + 0.5) / (3 + 0.5 * V),
    }

    def by_hand(boundaries: bool) -> float:
        pairs = []
        for sentence in held:
            words = ["<s>", *sentence, "</s>"] if boundaries else sentence
            pairs += list(itertools.pairwise(words))
        return math.exp(-sum(math.log(probability[pair]) for pair in pairs) / len(pairs))

    assert lm.perplexity(held) == pytest.approx(by_hand(False), rel=1e-12)
    assert lm.score(held, boundaries=False).perplexity == pytest.approx(by_hand(False), rel=1e-12)
    assert lm.perplexity(held, boundaries=True) == pytest.approx(by_hand(True), rel=1e-12)
    assert lm.score(held).perplexity == pytest.approx(by_hand(True), rel=1e-12)
    ids = [lm.ids(sentence) for sentence in held]
    one_hot = [torch.nn.functional.one_hot(seq, lm.size) for seq in ids]
    for form in (ids, one_hot, [seq.tolist() for seq in ids]):
        assert lm.perplexity(form, boundaries=True) == pytest.approx(by_hand(True), rel=1e-12)
        assert lm.perplexity(form) == pytest.approx(by_hand(False), rel=1e-12)


def test_perplexity_wants_a_list_of_sequences():
    lm = BigramLM(T, vocab=["a", "b"])
    with pytest.raises(TypeError, match="wrap a single sequence in a list"):
        lm.perplexity(["a", "b"])
    with pytest.raises(ValueError, match="at least one predicted token"):
        lm.perplexity([["a"]])


def test_sample_is_seeded_and_follows_the_table():
    lm = BigramLM(torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.5]]))
    first = lm.sample(200, start=0, generator=torch.Generator().manual_seed(1))
    again = lm.sample(200, start=0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, again) and first[0] == 0
    for previous, current in itertools.pairwise(first.tolist()):
        assert lm.T[previous, current] > 0, f"drew the impossible {previous} → {current}"


def test_sample_with_vocab_returns_tokens():
    lm = BigramLM(T, vocab=["a", "b"])
    tokens = lm.sample(5, start="b", generator=torch.Generator().manual_seed(0))
    assert len(tokens) == 5 and tokens[0] == "b" and set(tokens) <= {"a", "b"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (torch.ones(2, 3) / 3, r"shape \(2, 3\), expected a square"),
        (torch.tensor([[1.2, -0.2], [0.5, 0.5]]), r"T_\(1,1\) is 1.2"),
        (torch.tensor([[0.5, 0.5], [float("nan"), 1.0]]), r"T_\(2,1\) is NaN"),
        (torch.tensor([[0.5, 0.5], [0.6, 0.3]]), "row 2 of T sums to 0.9, expected 1"),
    ],
)
def test_bad_tables(table, message):
    with pytest.raises(ValueError, match=message):
        sequence_probability(Vocab, table)
    with pytest.raises(ValueError, match=message):
        BigramLM(table)


def test_sequence_rows_must_be_one_hot():
    seq = torch.tensor([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"row 2 of seq is \[0.5, 0.5\], not one-hot"):
        sequence_probability(seq, T)
    with pytest.raises(ValueError, match=r"seq has shape \(3, 3\)"):
        sequence_probability(torch.eye(3), T)


def test_bad_tokens_and_vocab():
    lm = BigramLM(T, vocab=["a", "b"])
    with pytest.raises(ValueError, match="unknown token 'c' at position 3"):
        lm.probability(["a", "b", "c"])
    with pytest.raises(ValueError, match=r"token id 5 \(token 2 of the sequence\)"):
        lm.probability([0, 5])
    with pytest.raises(ValueError, match="need a vocab"):
        BigramLM(T).probability(["a", "b"])
    with pytest.raises(ValueError, match="vocab has 3 tokens, expected 2"):
        BigramLM(T, vocab=["a", "b", "c"])
    with pytest.raises(ValueError, match="vocab lists 'a' twice"):
        BigramLM(T, vocab=["a", "a"])
    with pytest.raises(TypeError, match="not one string"):
        lm.probability("ab")
