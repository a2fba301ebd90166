"""The tokenizer: each documented rule on a text whose sentences are written out by hand."""

import pytest

from rnnlab import InvalidTypeError, InvalidValueError
from rnnlab.bigram.text import read_text, sentences


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


def test_non_ascii_letters_are_words_and_lower_cased():
    text = "Ça va? «Oui!» dit-il.\n\nİSTANBUL’s naïve café — ΣΟΦΟΣ. 日本語。Ok"
    assert sentences(text) == [
        ["ça", "va", "?"],
        ["«", "oui", "!", "»", "dit-il", "."],
        # "İ" lower-cases to "i" and a combining dot, which is not a word character.
        ["i", "\u0307", "stanbul’s", "naïve", "café", "—", "σοφος", "."],
        ["日本語", "。", "ok"],
    ]


def test_a_text_that_is_not_a_string_is_named():
    with pytest.raises(InvalidTypeError, match="text must be a str, got bytes"):
        sentences(b"One. Two.")


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
