"""Tests for rnnlab.lab.train: an RNN trained by the project's BPTT learns the lab's bigram T."""

import math
import re
import xml.etree.ElementTree as ElementTree

import pytest
import torch

from rnnlab import BigramLM, InvalidTypeError, InvalidValueError, bigram_rnn, lab
from rnnlab.lab.train import (
    Distance,
    TrainingConfig,
    distance_to_table,
    entropy_rate,
    initial_rnn,
    predicted_distributions,
    train,
)


def test_distance_to_table_by_hand():
    T = torch.tensor([[0.6, 0.4], [0.3, 0.7]], dtype=torch.float64)
    ids = torch.tensor([0, 1, 0])
    predicted = torch.tensor([[0.5, 0.5], [0.3, 0.7], [0.62, 0.38]], dtype=torch.float64)
    # Row errors: |0.5 − 0.6| = 0.1 (twice), 0 and 0, 0.02 (twice).
    distance = distance_to_table(predicted, T, ids)
    assert distance.max_abs == pytest.approx(0.1)
    assert distance.total_variation == pytest.approx(0.5 * (0.1 + 0.1))


def test_the_constructed_bigram_rnn_is_at_distance_zero():
    ids = torch.tensor([0, 0, 1, 1, 0, 1, 0, 0])
    outputs = bigram_rnn(lab.T).forward_ids(ids).o
    assert distance_to_table(outputs, lab.T, ids) == Distance(0.0, 0.0)


def test_entropy_rate_of_the_lab_table_by_hand():
    # π T = π: 0.4 π_a = 0.3 π_b, so π = (3/7, 4/7).
    def entropy(p: float) -> float:
        return -(p * math.log(p) + (1 - p) * math.log(1 - p))

    expected = 3 / 7 * entropy(0.6) + 4 / 7 * entropy(0.3)
    T = torch.tensor([[0.6, 0.4], [0.3, 0.7]], dtype=torch.float64)
    assert entropy_rate(T) == pytest.approx(expected, rel=1e-12)


def test_train_matches_a_loop_on_torch_optim_with_the_same_gradients():
    # The same steps written out: bptt's gradient per token, torch.optim.Adam, LambdaLR.
    config = TrainingConfig(epochs=2, steps_per_epoch=3, length=10, evaluation_length=5, seed=4)
    result = train(lab.T, config)
    T = lab.T.double()
    generator = torch.Generator().manual_seed(4)
    rnn = initial_rnn(2, 4, "tanh", generator)
    model = BigramLM(T)
    model.sample(5, generator=generator)  # the evaluation sequence is drawn first
    weights = [rnn.U, rnn.V, rnn.W]
    optimizer = torch.optim.Adam(weights, lr=0.05)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / 6)
    for _ in range(6):
        ids = model.sample(11, generator=generator)
        for weight in weights:
            weight.requires_grad_()
        scores = rnn.forward_ids(ids[:-1]).o
        loss = torch.nn.functional.cross_entropy(scores, ids[1:], reduction="sum") / 10
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    for ours, theirs in zip((result.rnn.U, result.rnn.V, result.rnn.W), weights, strict=True):
        torch.testing.assert_close(ours, theirs.detach(), rtol=0, atol=1e-12)


def test_training_leaves_torchs_thread_count_alone():
    threads = torch.get_num_threads()
    train(lab.T, TrainingConfig(epochs=1, steps_per_epoch=1, evaluation_length=5))
    assert torch.get_num_threads() == threads


@pytest.fixture(scope="module")
def trained():
    """A quick run on the lab's T: 40 epochs of 10 sequences of 50 tokens, seed 0."""
    return train(lab.T, TrainingConfig(epochs=40, seed=0))


def test_training_brings_the_predictions_close_to_T(trained):
    before = initial_rnn(2, 4, "tanh", torch.Generator().manual_seed(0))
    ids = trained.evaluation_ids[:-1]
    assert distance_to_table(predicted_distributions(before, ids), lab.T, ids).max_abs > 0.1
    assert trained.distance.max_abs < 0.05
    assert len(trained.history) == 40


def test_the_learnt_rows_match_T_after_any_history(trained):
    # After reading a word, whatever came before, softmax(o_t) should be that word's row.
    ids = torch.tensor([0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1])
    scores = trained.rnn.forward_ids(ids).o.detach()
    rows = torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)
    assert torch.allclose(rows, lab.T.double()[ids], atol=0.05)


def test_the_loss_approaches_the_entropy_rate(trained):
    # No model beats the chain's entropy rate on its own samples (on average); a good one
    # comes close. The last epoch averages 500 tokens, so allow sampling noise.
    assert trained.history[-1].loss == pytest.approx(entropy_rate(lab.T), abs=0.05)
    assert trained.history[0].loss > trained.history[-1].loss


def test_the_loss_is_the_mean_cross_entropy_per_token():
    # One epoch of one step with a tiny learning rate: the loss recorded is the loss of
    # the initial RNN on the first sampled sequence, which we rebuild here.
    result = train(
        lab.T,
        TrainingConfig(epochs=1, steps_per_epoch=1, length=20, evaluation_length=5, seed=3),
    )
    generator = torch.Generator().manual_seed(3)
    rnn = initial_rnn(2, 4, "tanh", generator)
    model = BigramLM(lab.T)
    model.sample(5, generator=generator)  # the evaluation sequence is drawn first
    ids = model.sample(21, generator=generator)
    scores = rnn.forward_ids(ids[:-1]).o
    expected = torch.nn.functional.cross_entropy(scores, ids[1:])
    assert result.history[0].loss == pytest.approx(float(expected), rel=1e-12)


def test_gradient_descent_learns_too():
    result = train(lab.T, TrainingConfig(epochs=30, optimizer="gd", seed=1))
    assert result.distance.max_abs < 0.08


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"optimizer": "sgd"}, "optimizer is 'sgd', expected one of 'adam', 'gd'"),
        ({"epochs": 0}, "epochs is 0"),
        ({"hidden_size": 1.5}, "hidden_size is 1.5"),
        ({"learning_rate": -1.0}, "learning_rate is -1.0"),
        ({"seed": 2**70}, "seed is 1180591620717411303424, expected a whole number ≤"),
    ],
)
def test_bad_settings_are_named(arguments, message):
    with pytest.raises((InvalidValueError, InvalidTypeError), match=message):
        TrainingConfig(**arguments)


def test_a_table_that_is_not_stochastic_is_refused():
    with pytest.raises(InvalidValueError, match="row 1 of T sums to 0.9"):
        train(torch.tensor([[0.5, 0.4], [0.3, 0.7]]))


def test_the_train_command_reports_the_distance_and_writes_the_plot(rnnlab, tmp_path):
    result = rnnlab("train", "--epochs", "30", "--seed", "0", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    match = re.search(r"max \|softmax\(o_t\) − T_i\| = (\d\.\d+)", result.stdout)
    assert match is not None, result.stdout
    assert float(match.group(1)) < 0.05
    assert "bigram_rnn(T), built rather than trained: max |o_t − T_i| = 0" in result.stdout
    assert re.search(r"Trained in \d+\.\d\d s", result.stdout)
    assert (tmp_path / "training.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    ElementTree.parse(tmp_path / "training.svg")


def test_the_train_command_trains_on_a_saved_model(rnnlab, tmp_path):
    T = torch.tensor([[0.1, 0.9, 0.0], [0.0, 0.2, 0.8], [0.7, 0.0, 0.3]], dtype=torch.float64)
    BigramLM(T, vocab=["x", "y", "z"]).save(tmp_path / "model.npz")
    result = rnnlab(
        "train", "--model", str(tmp_path / "model.npz"), "--epochs", "5", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    for row in ("[0.1, 0.9, 0]", "[0, 0.2, 0.8]", "[0.7, 0, 0.3]"):
        assert row in result.stdout


def test_the_train_command_names_a_bad_setting_in_one_line(rnnlab):
    result = rnnlab("train", "--optimizer", "sgd")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "rnnlab: error: optimizer is 'sgd', expected one of 'adam', 'gd'"
    )


def test_a_large_vocabulary_shows_the_largest_entries_not_whole_rows(rnnlab, tmp_path):
    # V = 40: each word is followed by the next with probability 0.9, others share 0.1.
    V = 40
    T = torch.full((V, V), 0.1 / (V - 1), dtype=torch.float64)
    T[torch.arange(V), (torch.arange(V) + 1) % V] = 0.9
    BigramLM(T).save(tmp_path / "model.npz")
    result = rnnlab(
        "train", "-m", str(tmp_path / "model.npz"), "--epochs", "1", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) < 100  # whole rows of 40 would need hundreds
    assert "v_2 0.9," in result.stdout and "(35 more)" in result.stdout
    assert "the first 10 of" in result.stdout


def test_the_train_command_refuses_a_hidden_size_the_machine_cannot_hold(rnnlab):
    # H = 10⁶: V is 10¹² entries of float64 for the weights alone.
    result = rnnlab("train", "--hidden-size", "1000000")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "H = 1000000 hidden units" in result.stderr
