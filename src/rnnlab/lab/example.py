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
from collections.abc import Collection
from dataclasses import InitVar, dataclass, fields, replace
from pathlib import Path

import torch

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model.activations import HIDDEN_NAMES
from rnnlab.validation import check_stochastic, real_tensor

LIVE = {"plain": False}
"""Field metadata of the answers' dataclasses: a live object (a model, a trace), not part of
the plain data."""

MOST = {"size": 12, "steps": 30, "sequences": 20, "sequence length": 1000}
"""The largest example the lab is run on: every matrix is printed whole (H, D, O and the
vocabulary at most 12), and autograd's graph of N steps is laid out by Graphviz, which
takes minutes past 30 steps. The lab is about numbers a student can check by hand."""


@dataclass(frozen=True, eq=False)
class ScalarExample:
    """The backward section's scalar RNN: U, V, W and the inputs x_1 … x_{N+1}.

    Each output o_t is compared with the next input x_{t+1}, so N + 1 inputs give N steps.
    Made only valid: U, V, W finite numbers, xs a tuple of at least two (at most 31).
    """

    U: float
    V: float
    W: float
    xs: tuple[float, ...]

    def __post_init__(self) -> None:
        for key in ("U", "V", "W"):
            object.__setattr__(self, key, _real(f"scalar.{key}", getattr(self, key)))
        if not isinstance(self.xs, list | tuple):
            raise InvalidValueError(f"scalar.xs = {_show(self.xs)}, expected a list of numbers")
        if len(self.xs) < 2:
            raise InvalidValueError(
                f"scalar.xs = {_show(self.xs)}, expected at least two inputs: "
                "x_1 and the target x_2"
            )
        xs = tuple(_real("scalar.xs", x) for x in self.xs)
        if len(xs) - 1 > MOST["steps"]:
            raise InvalidValueError(
                f"scalar.xs = {_show(xs)} has steps {len(xs) - 1}, more than the "
                f"{MOST['steps']} the lab is run on"
            )
        object.__setattr__(self, "xs", xs)

    @property
    def lengths(self) -> tuple[int, ...]:
        """The lengths N of sections 3.1–3.3 (1, 2, 3) that the inputs give targets for."""
        return tuple(N for N in (1, 2, 3) if len(self.xs) > N)


@dataclass(frozen=True, eq=False)
class Example:
    """Every input of the lab. Shapes: U (H, D), V (H, H), W (O, H), xs (N, D), h0 (H,),
    T (|Vocab|, |Vocab|); ``seqs`` are sequences of words from ``Vocab``.

    An Example is valid once made, however it is made (``read_example``, ``replace``, the
    constructor): every field is checked here, sizes within MOST, T stochastic. It keeps
    float64 copies of the numbers it is given (tensors, or lists of rows), so a later
    change to the caller's tensor does not reach it; the lab computes on it unchecked.

    ``file_keys``: the keys a file gave, where the Example was read from one and the rest
    came from the worked example; an error about another key says so.
    """

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
    file_keys: InitVar["Collection[str] | None"] = None

    def __post_init__(self, file_keys: "Collection[str] | None") -> None:
        for key in ("U", "V", "W", "xs", "T"):
            object.__setattr__(self, key, _matrix(key, _numbers(key, getattr(self, key))))
        object.__setattr__(self, "h0", _vector("h0", _numbers("h0", self.h0)))
        if self.sigma not in HIDDEN_NAMES:
            raise InvalidValueError(
                f"sigma = {_show(self.sigma)}, expected one of {', '.join(HIDDEN_NAMES)}"
            )
        object.__setattr__(self, "Vocab", _words(self.Vocab))
        object.__setattr__(self, "seqs", _sequences(self.seqs))
        if not isinstance(self.scalar, ScalarExample):
            raise InvalidTypeError(f"scalar = {_show(self.scalar)}, expected a ScalarExample")
        _check_sizes(self)
        _check_shapes(self, given=set(KEYS if file_keys is None else file_keys))
        check_stochastic(self.T, show_row=True)
        for seq in self.seqs:
            unknown = [word for word in seq if word not in self.Vocab]
            if unknown:
                raise InvalidValueError(
                    f"seqs: the word {unknown[0]!r} is not in Vocab = {_show(list(self.Vocab))}"
                )


KEYS = tuple(field.name for field in fields(Example))
SCALAR_KEYS = tuple(field.name for field in fields(ScalarExample))


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
    """The Example described by a mapping of the lab's names, ``base``'s values where a key
    is missing; the Example checks every value and names the bad one."""
    unknown = [key for key in data if key not in KEYS]
    if unknown:
        raise InvalidValueError(
            f"unknown key {unknown[0]!r} = {_show(data[unknown[0]])}, "
            f"expected some of {', '.join(KEYS)}"
        )
    changes = dict(data)
    if "scalar" in data:
        changes["scalar"] = _scalar(data["scalar"], base.scalar)
    return replace(base, **changes, file_keys=frozenset(data))


def _check_shapes(example: Example, given: set[str]) -> None:
    """Every size agrees: U's H and D, V square H × H, W (O, H), xs (N, D), h0 (H,), T."""
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


def _check_sizes(example: Example) -> None:
    """Every size within MOST, so the lab's tables and graphs stay readable and quick."""
    sizes = [
        ("U", example.U, max(example.U.shape), "size"),
        ("W", example.W, example.W.shape[0], "size"),
        ("Vocab", list(example.Vocab), len(example.Vocab), "size"),
        ("xs", example.xs, len(example.xs), "steps"),
        ("seqs", [list(seq) for seq in example.seqs], len(example.seqs), "sequences"),
    ]
    sizes += [("seqs", list(seq), len(seq), "sequence length") for seq in example.seqs]
    for key, value, size, kind in sizes:
        if size > MOST[kind]:
            raise InvalidValueError(
                f"{key} = {_show(value if isinstance(value, list) else value.tolist())} has "
                f"{kind} {size}, more than the {MOST[kind]} the lab is run on"
            )


def _numbers(key: str, value: object) -> object:
    """A tensor's entries as (nested) lists of floats, for _matrix and _vector to read as a
    file's; any other value as it is. The lists are the Example's own copy of the values."""
    if not isinstance(value, torch.Tensor):
        return value
    real_tensor(key, value, finite=False)
    return value.detach().cpu().double().tolist()


def _real(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidValueError(f"{key} = {_show(value)}, expected a number")
    if not math.isfinite(value):
        raise InvalidValueError(f"{key} = {_show(value)}, expected a finite number")
    return float(value)


def _vector(key: str, value: object) -> torch.Tensor:
    if not isinstance(value, list | tuple) or not value:
        raise InvalidValueError(f"{key} = {_show(value)}, expected a list of numbers")
    return torch.tensor([_real(key, entry) for entry in value], dtype=torch.float64)


def _matrix(key: str, value: object) -> torch.Tensor:
    """A list of equally long rows of numbers, as a float64 tensor (R, C)."""
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(row, list | tuple) for row in value)
    ):
        raise InvalidValueError(f"{key} = {_show(value)}, expected a list of rows of numbers")
    rows = [_vector(key, row).tolist() for row in value]
    if len({len(row) for row in rows}) != 1:
        raise InvalidValueError(f"{key} = {_show(value)}: its rows differ in length")
    return torch.tensor(rows, dtype=torch.float64)


def _words(value: object) -> tuple[str, ...]:
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(word, str) for word in value)
    ):
        raise InvalidValueError(f"Vocab = {_show(value)}, expected a list of words")
    if len(set(value)) != len(value) or not all(value):
        raise InvalidValueError(f"Vocab = {_show(value)}, expected distinct, non-empty words")
    return tuple(value)


def _sequences(value: object) -> tuple[tuple[str, ...], ...]:
    """Each sequence as its words: a list of words, or a string of one-letter words."""
    if not isinstance(value, list | tuple) or not value:
        raise InvalidValueError(f"seqs = {_show(value)}, expected a list of sequences")
    sequences = []
    for seq in value:
        words = list(seq) if isinstance(seq, str) else seq
        if (
            not isinstance(words, list | tuple)
            or not words
            or not all(isinstance(word, str) for word in words)
        ):
            raise InvalidValueError(
                f"seqs: {_show(seq)} is not a sequence of words (a list of words, "
                "or a string of one-letter words)"
            )
        sequences.append(tuple(words))
    return tuple(sequences)


def _scalar(value: object, base: ScalarExample) -> ScalarExample:
    """The scalar RNN of a file's [scalar] table, ``base``'s values where a key is missing."""
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
    return replace(base, **value)


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
