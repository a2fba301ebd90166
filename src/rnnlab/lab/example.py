"""The lab's numbers as one value, and the file a user writes to run the lab on their own.

An ``Example`` holds every input the lab uses: section 1's RNN (U, V, W, the inputs
x_1 … x_N, h0, σ), section 2's bigram model (the words of ``Vocab``, the table T and the
sequences to score) and the backward section's scalar RNN. ``rnnlab.lab.WORKED`` is the
lab's own; ``read_example`` reads a user's JSON or TOML file keyed by the same names,
where every key is optional and a missing one keeps the worked example's
value; ``example_text`` writes an Example back as a commented TOML file to start from.

Every number is float64, read from the decimal text, so 0.6 stays 0.6 in results.json.
"""

import json
import math
import numbers
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from rnnlab.errors import InvalidValueError
from rnnlab.model.activations import HIDDEN_NAMES
from rnnlab.validation import ROW_SUM_TOLERANCE

LIVE = {"plain": False}
"""Field metadata of the answers' dataclasses: a live object (a model, a trace), not part of
the plain data."""


@dataclass(frozen=True, eq=False)
class ScalarExample:
    """The backward section's scalar RNN: U, V, W and the inputs x_1 … x_{N+1}.

    Each output o_t is compared with the next input x_{t+1}, so N + 1 inputs give N steps.
    """

    U: float
    V: float
    W: float
    xs: tuple[float, ...]

    @property
    def lengths(self) -> tuple[int, ...]:
        """The lengths N of sections 3.1–3.3 (1, 2, 3) that the inputs give targets for."""
        return tuple(N for N in (1, 2, 3) if len(self.xs) > N)


@dataclass(frozen=True, eq=False)
class Example:
    """Every input of the lab. Shapes: U (H, D), V (H, H), W (O, H), xs (N, D), h0 (H,),
    T (|Vocab|, |Vocab|); ``seqs`` are sequences of words from ``Vocab``."""

    U: torch.Tensor
    V: torch.Tensor
    W: torch.Tensor
    xs: torch.Tensor
    h0: torch.Tensor
    sigma: str
    Vocab: tuple[str, ...]
    T: torch.Tensor
    seqs: tuple[tuple[str, ...], ...]
    scalar: ScalarExample


KEYS = ("U", "V", "W", "xs", "h0", "sigma", "Vocab", "T", "seqs", "scalar")
SCALAR_KEYS = ("U", "V", "W", "xs")
MOST = {"size": 12, "steps": 30, "sequences": 20, "sequence length": 1000}
"""The largest example the lab is run on: every matrix is printed whole (H, D, O and the
vocabulary at most 12), and autograd's graph of N steps is laid out by Graphviz, which
takes minutes past 30 steps. The lab is about numbers a student can check by hand."""


def read_example(path: "str | Path", base: Example) -> Example:
    """The Example in a JSON or TOML file, ``base``'s values where a key is missing."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # a binary file (a model, a picture) given by mistake
        raise InvalidValueError(f"{path}: not UTF-8 text, expected a .json or .toml file") from None
    if path.suffix.lower() == ".json":
        data = _parse(json.loads, text, path, "JSON")
    elif path.suffix.lower() == ".toml":
        data = _parse(tomllib.loads, text, path, "TOML")
    else:
        raise InvalidValueError(f"{path}: expected a .json or .toml file")
    if not isinstance(data, dict):
        raise InvalidValueError(f"{path}: expected a table of the lab's names, got {data!r}")
    return parse_example(data, base)


def _parse(loads, text: str, path: Path, kind: str) -> object:
    try:
        return loads(text)
    except ValueError as error:  # json.JSONDecodeError and tomllib.TOMLDecodeError
        raise InvalidValueError(f"{path}: not valid {kind}: {error}") from None


def parse_example(data: dict, base: Example) -> Example:
    """The Example described by a mapping of the lab's names, each checked and named."""
    unknown = [key for key in data if key not in KEYS]
    if unknown:
        raise InvalidValueError(
            f"unknown key {unknown[0]!r} = {_show(data[unknown[0]])}, "
            f"expected some of {', '.join(KEYS)}"
        )
    changes: dict[str, object] = {}
    for key in ("U", "V", "W", "T"):
        if key in data:
            changes[key] = _matrix(key, data[key])
    if "xs" in data:
        changes["xs"] = _matrix("xs", data["xs"])
    if "h0" in data:
        changes["h0"] = _vector("h0", data["h0"])
    if "sigma" in data:
        if data["sigma"] not in HIDDEN_NAMES:
            raise InvalidValueError(
                f"sigma = {_show(data['sigma'])}, expected one of {', '.join(HIDDEN_NAMES)}"
            )
        changes["sigma"] = data["sigma"]
    if "Vocab" in data:
        changes["Vocab"] = _words(data["Vocab"])
    example = replace(base, **changes)
    if "seqs" in data:
        example = replace(example, seqs=_sequences(data["seqs"], example.Vocab))
    if "scalar" in data:
        example = replace(example, scalar=_scalar(data["scalar"], base.scalar))
    _check_shapes(example, given=set(data))
    return example


def _check_shapes(example: Example, given: set[str]) -> None:
    """Every size agrees: U's H and D, V square H × H, W (O, H), xs (N, D), h0 (H,), T."""
    _check_sizes(example)
    H, D = example.U.shape
    U = f"U ({_size(example.U.shape)})"
    V = len(example.Vocab)
    expected = {
        "V": ((H, H), f"H × H, H = {H} from {U}"),
        "W": ((example.W.shape[0], H), f"O × H, H = {H} from {U}"),
        "xs": ((example.xs.shape[0], D), f"N × D, D = {D} from {U}"),
        "h0": ((H,), f"H = {H} from {U}"),
        "T": ((V, V), f"to match Vocab ({V} words)"),
    }
    for key, (shape, why) in expected.items():
        value = getattr(example, key)
        if tuple(value.shape) != shape:
            whose = "" if key in given else f" (the worked example's: the file has no {key})"
            link = " " if key == "T" else ": "
            raise InvalidValueError(
                f"{key} = {_show(value.tolist())}{whose} is {_size(value.shape)}, expected "
                f"{_size(shape)}{link}{why}"
            )
    for i, row in enumerate(example.T.tolist()):
        if min(row) < 0 or abs(sum(row) - 1) > ROW_SUM_TOLERANCE:
            raise InvalidValueError(
                f"row {i + 1} of T = {_show(row)} sums to {sum(row):g}, expected entries ≥ 0 "
                "summing to 1"
            )
    for seq in example.seqs:
        unknown = [word for word in seq if word not in example.Vocab]
        if unknown:
            raise InvalidValueError(
                f"seqs: the word {unknown[0]!r} is not in Vocab = {_show(list(example.Vocab))}"
            )


def _check_sizes(example: Example) -> None:
    """Every size within MOST, so the lab's tables and graphs stay readable and quick."""
    sizes = [
        ("U", example.U, max(example.U.shape), "size"),
        ("W", example.W, example.W.shape[0], "size"),
        ("Vocab", list(example.Vocab), len(example.Vocab), "size"),
        ("xs", example.xs, len(example.xs), "steps"),
        ("scalar.xs", list(example.scalar.xs), len(example.scalar.xs) - 1, "steps"),
        ("seqs", [list(seq) for seq in example.seqs], len(example.seqs), "sequences"),
    ]
    sizes += [("seqs", list(seq), len(seq), "sequence length") for seq in example.seqs]
    for key, value, size, kind in sizes:
        if size > MOST[kind]:
            raise InvalidValueError(
                f"{key} = {_show(value if isinstance(value, list) else value.tolist())} has "
                f"{kind} {size}, more than the {MOST[kind]} the lab is run on"
            )


def _real(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidValueError(f"{key} = {_show(value)}, expected a number")
    if not math.isfinite(value):
        raise InvalidValueError(f"{key} = {_show(value)}, expected a finite number")
    return float(value)


def _vector(key: str, value: object) -> torch.Tensor:
    if not isinstance(value, list) or not value:
        raise InvalidValueError(f"{key} = {_show(value)}, expected a list of numbers")
    return torch.tensor([_real(key, entry) for entry in value], dtype=torch.float64)


def _matrix(key: str, value: object) -> torch.Tensor:
    """A list of equally long rows of numbers, as a float64 tensor (R, C)."""
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise InvalidValueError(f"{key} = {_show(value)}, expected a list of rows of numbers")
    rows = [_vector(key, row).tolist() for row in value]
    if len({len(row) for row in rows}) != 1:
        raise InvalidValueError(f"{key} = {_show(value)}: its rows differ in length")
    return torch.tensor(rows, dtype=torch.float64)


def _words(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(w, str) for w in value):
        raise InvalidValueError(f"Vocab = {_show(value)}, expected a list of words")
    if len(set(value)) != len(value) or not all(value):
        raise InvalidValueError(f"Vocab = {_show(value)}, expected distinct, non-empty words")
    return tuple(value)


def _sequences(value: object, vocab: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Each sequence as its words: a list of words, or a string of one-letter words."""
    if not isinstance(value, list) or not value:
        raise InvalidValueError(f"seqs = {_show(value)}, expected a list of sequences")
    sequences = []
    for seq in value:
        words = list(seq) if isinstance(seq, str) else seq
        if not isinstance(words, list) or not words or not all(isinstance(w, str) for w in words):
            raise InvalidValueError(
                f"seqs: {_show(seq)} is not a sequence of words (a list of words, "
                "or a string of one-letter words)"
            )
        sequences.append(tuple(words))
    return tuple(sequences)


def _scalar(value: object, base: ScalarExample) -> ScalarExample:
    if not isinstance(value, dict):
        raise InvalidValueError(f"scalar = {_show(value)}, expected a table with U, V, W, xs")
    if "h0" in value and value["h0"] != 0:
        raise InvalidValueError(
            f"scalar.h0 = {_show(value['h0'])}: the scalar RNN starts from h_0 = 0, as in the "
            f"lab (h0 = 0 may be written); [scalar] takes {', '.join(SCALAR_KEYS)}"
        )
    value = {key: entry for key, entry in value.items() if key != "h0"}
    unknown = [key for key in value if key not in SCALAR_KEYS]
    if unknown:
        raise InvalidValueError(
            f"unknown key 'scalar.{unknown[0]}' = {_show(value[unknown[0]])}, "
            f"expected some of {', '.join(SCALAR_KEYS)}"
        )
    changes: dict[str, object] = {
        key: _real(f"scalar.{key}", value[key]) for key in ("U", "V", "W") if key in value
    }
    if "xs" in value:
        xs = _vector("scalar.xs", value["xs"]).tolist()
        if len(xs) < 2:
            raise InvalidValueError(
                f"scalar.xs = {_show(value['xs'])}, expected at least two inputs: "
                "x_1 and the target x_2"
            )
        changes["xs"] = tuple(xs)
    return replace(base, **changes)


def _show(value: object) -> str:
    """A value as the file would write it, cut short where it is long."""
    text = json.dumps(value, ensure_ascii=False) if _jsonable(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _size(shape: "tuple[int, ...] | torch.Size") -> str:
    return " × ".join(str(size) for size in shape) if len(shape) > 1 else f"{shape[0]} long"


def example_text(example: Example) -> str:
    """The Example as a commented TOML file that ``read_example`` reads back unchanged."""
    lines = [
        "# The lab's numbers, for `rnnlab run --example FILE` and `rnnlab grad --example FILE`.",
        "# Every key is optional: a missing one keeps the worked example's value.",
        "",
        "# Section 1, the forward step: h_t = σ(U x_t + V h_(t-1)), o_t = W h_t.",
        "# U is H × D, V is H × H, W is O × H; each matrix is a list of rows.",
        f"U = {_toml(example.U.tolist())}",
        f"V = {_toml(example.V.tolist())}",
        f"W = {_toml(example.W.tolist())}",
        "# The inputs x_1, x_2, …, each D long, and the initial state h0, H long.",
        f"xs = {_toml(example.xs.tolist())}",
        f"h0 = {_toml(example.h0.tolist())}",
        f"# σ, for section 1 and the scalar RNN: one of {', '.join(HIDDEN_NAMES)}.",
        f"sigma = {_toml(example.sigma)}",
        "",
        "# Section 2, bigram models: the words, T[i][j] = Pr(word j | word i) (rows sum to 1),",
        "# and the sequences to score: lists of words, or strings of one-letter words.",
        f"Vocab = {_toml(list(example.Vocab))}",
        f"T = {_toml(example.T.tolist())}",
        f"seqs = {_toml([_sequence_value(seq) for seq in example.seqs])}",
        "",
        "# Section 3, the backward step: the scalar RNN and its inputs x_1 … x_(N+1);",
        "# o_t is compared with x_(t+1), so N + 1 inputs give N steps (four give N = 3);",
        "# sections 3.1–3.3 take N = 1, 2, 3 on the first N + 1. It starts from h_0 = 0.",
        "[scalar]",
        f"U = {_toml(example.scalar.U)}",
        f"V = {_toml(example.scalar.V)}",
        f"W = {_toml(example.scalar.W)}",
        f"xs = {_toml(list(example.scalar.xs))}",
    ]
    return "\n".join(lines) + "\n"


def _sequence_value(seq: tuple[str, ...]) -> "str | list[str]":
    """A sequence of one-letter words as one string ("aab"), any other as a list."""
    return "".join(seq) if all(len(word) == 1 for word in seq) else list(seq)


def _toml(value: object) -> str:
    """A number, string or nested list as TOML; floats with repr, so they read back exactly."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml(entry) for entry in value) + "]"
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)
