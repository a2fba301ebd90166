"""Bad input to the bigram models and their commands (issue 14): never a lost file, a
machine filled up or a traceback; every bad value named in rnnlab's own errors."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
import torch

from rnnlab import BigramLM, InvalidTypeError, InvalidValueError, sequence_probability
from test_cli_bigram import fails, ok

TEXT = "The cat sat. The dog sat!\n\nThe cat ran."


@pytest.fixture
def rnnlab(rnnlab, monkeypatch, tmp_path):
    """``rnnlab bigram ARGUMENTS`` in this process, in tmp_path, with story.txt there."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "story.txt").write_text(TEXT, "utf-8")
    return lambda *arguments: rnnlab("bigram", *arguments)


@pytest.fixture
def model(tmp_path) -> "os.PathLike[str]":
    path = tmp_path / "model.npz"
    BigramLM.estimate([["a", "b"], ["b", "a", "c"]], smoothing=0.5).save(path)
    return path


def test_an_output_that_is_the_input_is_refused(rnnlab, tmp_path):
    fails(rnnlab("fit", "story.txt", "-o", "story.txt"), "story.txt", "is the input")
    fails(rnnlab("fit", "story.txt", "--arpa", "./story.txt"), "is the input")
    assert (tmp_path / "story.txt").read_text("utf-8") == TEXT


def test_two_outputs_at_one_path_are_refused(rnnlab, tmp_path):
    fails(rnnlab("fit", "story.txt", "-o", "m.npz", "--arpa", "m.npz"), "the same path")
    assert not (tmp_path / "m.npz").exists()


def test_model_and_arpa_are_all_or_nothing(rnnlab, tmp_path):
    ok(rnnlab("fit", "story.txt", "-o", "m.npz"))
    before = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "story.txt").write_text("Another text entirely.", "utf-8")
    # The ARPA file cannot be written (its folder is a file): the old model stays whole.
    (tmp_path / "blocked").write_text("not a folder", "utf-8")
    fails(rnnlab("fit", "story.txt", "-o", "m.npz", "--arpa", "blocked/m.arpa"))
    assert (tmp_path / "m.npz").read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["blocked", "m.npz", "story.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_arpa_folder_leaves_the_old_model(rnnlab, tmp_path):
    ok(rnnlab("fit", "story.txt", "-o", "m.npz"))
    before = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "story.txt").write_text("Another text entirely.", "utf-8")
    (tmp_path / "locked").mkdir(mode=0o555)
    fails(rnnlab("fit", "story.txt", "-o", "m.npz", "--arpa", "locked/m.arpa"))
    assert (tmp_path / "m.npz").read_bytes() == before


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_model_file_is_one_clear_error(model, rnnlab, damage):
    data = bytearray(model.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 3] ^= 0xFF  # inside the first array's bytes, under its CRC
    model.write_bytes(bytes(data))
    with pytest.raises(InvalidValueError, match="model.npz"):
        BigramLM.load(model)
    fails(rnnlab("sample", "-m", str(model)), "model.npz")


def test_every_byte_flip_or_cut_of_a_model_file_is_rnnlabs_error(model):
    data = model.read_bytes()
    for position in range(0, len(data), 5):
        flipped = data[:position] + bytes([data[position] ^ 0x55]) + data[position + 1 :]
        for damaged in (data[:position], flipped):
            model.write_bytes(damaged)
            try:
                BigramLM.load(model)  # a flip in a name or padding may leave it readable
            except InvalidValueError as error:
                assert "model.npz" in str(error)


def _npz(path, header: dict, **arrays: bytes) -> None:
    """An .npz whose members are written as given (raw .npy bytes), header first."""
    with zipfile.ZipFile(path, "w") as archive:
        buffer = io.BytesIO()
        np.save(buffer, np.array(json.dumps(header)))
        archive.writestr("header.npy", buffer.getvalue())
        for name, data in arrays.items():
            archive.writestr(f"{name}.npy", data)


def _npy_claiming(shape: tuple, dtype: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue() + bytes(64)


HEADER = {"format": "rnnlab.BigramLM", "version": 1, "bos": None, "eos": None, "unk": None}


def test_a_header_claiming_a_huge_table_is_refused_before_allocating(tmp_path, rnnlab):
    path = tmp_path / "huge.npz"
    header = HEADER | {"kind": "table", "vocab": None, "smoothing": 0.0}
    _npz(path, header, T=_npy_claiming((10**6, 10**6)))
    with pytest.raises(InvalidValueError, match=r"huge.npz: .*shape \(1000000, 1000000\).*TB"):
        BigramLM.load(path)
    fails(rnnlab("sample", "-m", "huge.npz"), "(1000000, 1000000)")


def test_an_empty_vocabulary_is_a_clear_error(tmp_path, rnnlab):
    path = tmp_path / "empty.npz"
    header = HEADER | {"kind": "counts", "vocab": [], "smoothing": 1.0}
    keys = io.BytesIO()
    np.save(keys, np.zeros(0, dtype=np.int64))
    _npz(path, header, keys=keys.getvalue(), counts=keys.getvalue())
    with pytest.raises(InvalidValueError, match="empty.npz is damaged: vocab is empty"):
        BigramLM.load(path)
    fails(rnnlab("sample", "-m", "empty.npz"), "vocab is empty")


def test_float_count_keys_in_a_model_file_are_named(tmp_path):
    path = tmp_path / "floats.npz"
    header = HEADER | {"kind": "counts", "vocab": ["a", "b"], "smoothing": 1.0}
    keys, counts = io.BytesIO(), io.BytesIO()
    np.save(keys, np.array([1.5, 3.0]))
    np.save(counts, np.array([1, 2]))
    _npz(path, header, keys=keys.getvalue(), counts=counts.getvalue())
    with pytest.raises(InvalidValueError, match=r"floats.npz is damaged: its keys hold 1.5"):
        BigramLM.load(path)


def test_a_seed_beyond_what_torch_takes_is_one_line(rnnlab):
    ok(rnnlab("fit", "story.txt"))
    fails(rnnlab("sample", "-m", "story.bigram.npz", "--seed", str(2**70)), "--seed", str(2**70))
    fails(rnnlab("sample", "-m", "story.bigram.npz", "--seed", "-1"), "--seed")
    assert ok(rnnlab("sample", "-m", "story.bigram.npz", "--seed", str(2**64 - 1)))


def test_messages_count_one_sentence_in_the_singular(rnnlab, tmp_path):
    (tmp_path / "one.txt").write_text("The cat sat.", "utf-8")
    assert "Read 1 sentence, 4 tokens." in ok(rnnlab("fit", "one.txt"))
    scored = ok(rnnlab("score", "one.txt", "-m", "one.bigram.npz"))
    assert "1 sentence, 5 tokens predicted, 0 unknown words" in scored


LAB = BigramLM(torch.tensor([[0.6, 0.4], [0.3, 0.7]]), vocab=["a", "b"])


@pytest.mark.parametrize(
    ("sequence", "named"),
    [(["a", 1], "1"), ([None, None], "None"), (["a", None], "None"), ([0, 1.5], "1.5")],
)
def test_a_token_of_the_wrong_kind_is_named(sequence, named):
    with pytest.raises(InvalidTypeError, match=named):
        LAB.probability(sequence)


def test_estimate_names_a_token_that_is_not_a_string():
    with pytest.raises(InvalidTypeError, match=r"tokens must be strings, got \['x'\]"):
        BigramLM.estimate([[["x"]]])
    with pytest.raises(InvalidTypeError, match="got 3"):
        BigramLM.estimate([["a", 3]])


@pytest.mark.parametrize(
    "T",
    [
        torch.tensor([[0.6, 0.4], [0.3, 0.7]], dtype=torch.complex64),
        [[0.6 + 0j, 0.4], [0.3, 0.7]],
        torch.tensor([[True, False], [False, True]]),
        [[True, False], [False, True]],
    ],
)
def test_a_complex_or_bool_table_is_refused(T):
    with pytest.raises(InvalidTypeError, match="complex|bool"):
        BigramLM(T)


def test_a_string_vocab_is_not_read_letter_by_letter():
    with pytest.raises(InvalidTypeError, match="vocab is the string 'ab'"):
        BigramLM(torch.tensor([[0.6, 0.4], [0.3, 0.7]]), vocab="ab")


def test_commands_on_a_model_without_words_say_so(rnnlab, tmp_path):
    BigramLM(torch.tensor([[0.6, 0.4], [0.3, 0.7]])).save(tmp_path / "ids.npz")
    fails(rnnlab("prob", "a", "b", "-m", "ids.npz"), "ids.npz", "no vocabulary")
    fails(rnnlab("score", "story.txt", "-m", "ids.npz"), "need a vocab")
    fails(rnnlab("sample", "-m", "ids.npz"), "needs a model with a vocabulary")


LAB_T = torch.tensor([[0.6, 0.4], [0.3, 0.7]])
BOOL_ONE_HOT = torch.tensor([[True, False], [False, True], [False, True]])  # a b b


def test_a_bool_one_hot_sequence_is_a_one_hot_sequence():
    # a b b: Pr = T_12 · T_22 = 0.4 · 0.7, worked out by hand from the lab's table.
    assert float(sequence_probability(BOOL_ONE_HOT, LAB_T)) == pytest.approx(0.28)
    model = BigramLM(LAB_T)
    assert model.probability(BOOL_ONE_HOT) == pytest.approx(0.28)
    assert model.log_probability(BOOL_ONE_HOT) == pytest.approx(np.log(0.28))
    assert model.perplexity([BOOL_ONE_HOT]) == pytest.approx(0.28**-0.5)
    assert model.probability(BOOL_ONE_HOT.tolist()) == pytest.approx(0.28)


BAD_SEQUENCES = [
    (["a", "b"], InvalidValueError, r"\['a', 'b'\].*vocab"),
    ({"a": 1}, InvalidTypeError, r"\{'a': 1\}"),
    (None, InvalidTypeError, "None"),
    ([[1, 0], [1]], InvalidValueError, r"\[\[1, 0\], \[1\]\].*differ in length"),
    ([0, [1, 0]], InvalidTypeError, r"\[0, \[1, 0\]\]"),
    (np.array(["a", "b"]), InvalidValueError, r"\['a', 'b'\].*vocab"),
    ({0, 1}, InvalidTypeError, r"\{0, 1\}"),
]


@pytest.mark.parametrize(("seq", "error", "named"), BAD_SEQUENCES)
def test_a_sequence_of_the_wrong_kind_is_named(seq, error, named):
    model = BigramLM(LAB_T)
    for call in (
        lambda: sequence_probability(seq, LAB_T),
        lambda: model.probability(seq),
        lambda: model.log_probability(seq),
        lambda: model.perplexity([seq]),
    ):
        with pytest.raises(error, match=named):
            call()


def test_a_numpy_array_of_words_is_read_with_a_vocab():
    assert LAB.probability(np.array(["a", "b", "b"])) == pytest.approx(0.28)


@pytest.mark.parametrize("sentences", [None, 5, {"a": 1}, [["a", "b"], "ab"]])
def test_score_and_perplexity_name_what_is_not_sentences(sentences):
    with pytest.raises((InvalidTypeError, InvalidValueError)):
        LAB.score(sentences)
    with pytest.raises((InvalidTypeError, InvalidValueError)):
        LAB.perplexity(sentences)
