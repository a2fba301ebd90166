"""The tokenizer: each documented rule on a text whose sentences are written out by hand,
and the compiled tokenizer (tokenize, read_tokens) against the regular expressions."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rnnlab import InvalidTypeError, InvalidValueError
from rnnlab.bigram.text import Tokens, read_text, read_tokens, sentences, tokenize


def test_sentences_end_at_full_stops_and_blank_lines():
    text = 'The Union is safe. Is it? "Yes!" she said.\n\nFEDERALIST No 2\nTo the People'
    assert sentences(text) == [
        ["the", "union", "is", "safe", "."],
        ["is", "it", "?"],
        ['"', "yes", "!", '"'],
        ["she", "said", "."],
        ["federalist", "no", "2", "to", "the", "people"],
    ]


def test_words_keep_inner_apostrophes_and_hyphens():
    assert sentences("Don't re-elect the well-known man's $5 -- ok") == [
        ["don't", "re-elect", "the", "well-known", "man's", "$", "5", "-", "-", "ok"]
    ]


def test_no_token_holds_whitespace_and_empty_text_has_no_sentence():
    assert sentences(" \n\n \t") == []
    for sentence in sentences("a  b\tc\n d .  e\u00a0f"):
        assert all(token.split() == [token] for token in sentence)


NON_ASCII = (
    "Ça va? «Oui!» dit-il.\n\nİstanbul ẞtraße — naïve café’s end.” Next\n"
    "ΣΊΣΥΦΟΣ ΟΔΟΣ. Ünïcödé‘quotes’ and the end.’ x\u2028\u2028y\x85z\x1c\n\x1c\n"
    "日本語のテキスト。次の文！ Ok? Straße 3½ x² — ‘done’.\r\n\r\nπ≈3.14…"
)


@pytest.mark.parametrize(
    "text",
    [
        NON_ASCII,
        "x.) y.)) z\n\t\n w",
        'a\n\n\n\nb. c!\t"d?" e',
        "don't -- re-- -x ''y'' ’’ a’’b well-known-",
        "",
        "   ",
        "end.",
    ],
)
def test_the_compiled_tokenizer_gives_the_reference_sentences(text):
    assert list(tokenize(text)) == sentences(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("aZé_1 .!?\"'’”)]-\n\t\r\u2028\x85Σİ日")), max_size=60)
)
@example("a.’ b")
def test_the_compiled_tokenizer_agrees_on_random_text(text):
    assert list(tokenize(text)) == sentences(text)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_the_compiled_tokenizer_agrees_on_any_characters(text):
    assert list(tokenize(text)) == sentences(text)


def test_read_tokens_reads_ascii_and_utf8_files(tmp_path):
    for name, text in (("ascii.txt", "One. Two!\n\nThree"), ("wide.txt", "\ufeff" + NON_ASCII)):
        path = tmp_path / name
        path.write_bytes(text.encode())
        assert list(read_tokens(path)) == sentences(read_text(path))


def test_tokens_from_sentences_keep_every_token():
    given = [["a", "b\x00c"], [], ["ü", ""], ["日本"]]
    tokens = Tokens.from_sentences(given)
    assert list(tokens) == given and tokens[-1] == ["日本"] and tokens[1:3] == given[1:3]
    assert len(tokens) == 4 and tokens.token_count() == 5
    with pytest.raises(InvalidTypeError, match=r"tokens must be strings, got \['x'\]"):
        Tokens.from_sentences([[["x"]]])


def test_read_text_drops_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffHello.".encode())
    assert read_text(path) == "Hello."


def test_a_file_that_is_not_utf8_names_the_file_and_the_byte(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café au lait".encode("latin-1"))
    with pytest.raises(InvalidValueError, match=r"latin1.txt is not UTF-8 text: byte 3 \(0xe9\)"):
        read_text(path)


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_text(tmp_path / "missing.txt")


def test_the_federalist_papers_tokenize(federalist):
    found = sentences(read_text(federalist))
    assert len(found) > 5000
    assert ["to", "the", "people", "of", "the", "state", "of", "new", "york", ":"] in found


def test_the_federalist_papers_tokenize_the_same_compiled(federalist):
    text = read_text(federalist)
    reference = sentences(text)
    assert list(tokenize(text)) == reference
    assert list(read_tokens(federalist)) == reference
