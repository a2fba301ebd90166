"""The model file (docs/bigram-format.md): an .npz archive of a JSON header and the arrays
that hold the probabilities. File I/O for models lives here and nowhere else.

Reading trusts nothing in the file: no pickles, every array's header checked against
the member's size and against the memory this machine can give before it is read, and
every value checked as the model's constructor would. Any damage is one
InvalidValueError naming the file.
"""

import io
import json
import math
import os
import struct
import zipfile
import zlib

import numpy as np
import torch

from rnnlab.bigram.api import Probabilities
from rnnlab.bigram.counts import CountProbabilities
from rnnlab.bigram.table import TableProbabilities
from rnnlab.bigram.vocabulary import Vocabulary, check_specials, check_tokens
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.files import write_atomic
from rnnlab.validation import check_memory, check_stochastic, real_number

FILE_FORMAT = "rnnlab.BigramLM"
FILE_VERSION = 1
ARRAYS = {"table": ("T",), "counts": ("keys", "counts")}
"""The arrays each kind of model file holds beside its header."""


def encode(probabilities: Probabilities, vocabulary: Vocabulary | None) -> bytes:
    """The bytes of a model file."""
    header = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "kind": probabilities.kind,
        "vocab": None if vocabulary is None else list(vocabulary.tokens),
        "bos": None if vocabulary is None else vocabulary.bos,
        "eos": None if vocabulary is None else vocabulary.eos,
        "unk": None if vocabulary is None else vocabulary.unk,
        "smoothing": probabilities.smoothing,
    }
    buffer = io.BytesIO()
    header_array = np.array(json.dumps(header, ensure_ascii=False))
    np.savez(buffer, header=header_array, **probabilities.arrays())
    return buffer.getvalue()


def write(
    path: "str | os.PathLike[str]", probabilities: Probabilities, vocabulary: Vocabulary | None
) -> None:
    """Write a model file, whole or not at all."""
    write_atomic(path, encode(probabilities, vocabulary))


def read(path: "str | os.PathLike[str]") -> tuple[Probabilities, Vocabulary | None]:
    """The probabilities and vocabulary of a model file; damage raises InvalidValueError."""
    try:
        header, arrays = _read_archive(path)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except InvalidValueError as error:
        raise InvalidValueError(f"{path}: {error}") from None
    except _DAMAGE as error:
        raise InvalidValueError(
            f"{path} is not an rnnlab bigram model file (a whole .npz with a header): {error}"
        ) from None
    if header.get("format") != FILE_FORMAT or header.get("version") != FILE_VERSION:
        raise InvalidValueError(
            f"{path} is not an rnnlab bigram model file of version {FILE_VERSION}"
        )
    try:
        return _model(header, arrays)
    except (InvalidValueError, InvalidTypeError) as error:
        raise InvalidValueError(f"{path} is damaged: {error}") from None


_DAMAGE = (
    ValueError,  # also JSON and UTF-8 errors in the header
    KeyError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,  # a compression method that zipfile does not know
    RuntimeError,  # a compression method that this Python was built without
    struct.error,
)
"""What a damaged archive can raise while it is read."""


def _read_archive(path: "str | os.PathLike[str]") -> tuple[dict, dict[str, np.ndarray]]:
    with zipfile.ZipFile(path) as archive:
        arrays = {}
        for member in archive.infolist():
            name = member.filename.removesuffix(".npy")
            with archive.open(member) as stream:
                arrays[name] = _read_array(stream, name, member.file_size)
    if "header" not in arrays or arrays["header"].shape != ():
        raise InvalidValueError("it has no header")
    header = json.loads(str(arrays.pop("header")[()]))
    if not isinstance(header, dict):
        raise InvalidValueError("its header is not a JSON object")
    return header, arrays


def _read_array(stream: io.BufferedIOBase, name: str, size: int) -> np.ndarray:
    """One .npy member, its claimed size checked before anything is allocated."""
    version = np.lib.format.read_magic(stream)
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    if version not in readers:
        raise InvalidValueError(f"its array {name} has .npy version {version}, expected 1.0 or 2.0")
    shape, fortran_order, dtype = readers[version](stream)
    if dtype.hasobject:
        raise InvalidValueError(f"its array {name} holds Python objects, which are never loaded")
    needed = math.prod(shape) * dtype.itemsize
    check_memory(f"its array {name} of shape {shape}", needed)
    if needed > size:
        raise InvalidValueError(
            f"its array {name} claims shape {shape}, {needed:,} bytes, in a {size:,}-byte member"
        )
    data = stream.read(needed)
    if len(data) != needed:
        raise InvalidValueError(f"its array {name} is cut short")
    order = "F" if fortran_order else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy()


def _model(header: dict, arrays: dict[str, np.ndarray]) -> tuple[Probabilities, Vocabulary | None]:
    kind = header.get("kind")
    if kind not in ARRAYS or set(arrays) != set(ARRAYS[kind]):
        raise InvalidValueError(f"kind {kind!r} with arrays {sorted(arrays)}")
    vocab, bos, eos, unk = (header.get(key) for key in ("vocab", "bos", "eos", "unk"))
    check_specials(bos, eos, unk)
    if kind == "table":
        T = arrays["T"]
        if T.dtype.kind != "f":
            raise InvalidTypeError(f"its table T has dtype {T.dtype}, expected floats")
        table = TableProbabilities(check_stochastic(torch.from_numpy(T)))
        vocabulary = None if vocab is None else Vocabulary(vocab, bos, eos, unk, table.size)
        return table, vocabulary
    vocabulary = Vocabulary(check_tokens(vocab), bos, eos, unk)
    V = len(vocabulary)
    keys, counts = (_whole_numbers(name, arrays[name]) for name in ("keys", "counts"))
    if keys.shape != counts.shape or keys.ndim != 1:
        raise InvalidValueError(f"its keys {keys.shape} and counts {counts.shape} differ")
    if np.any(np.diff(keys) <= 0) or (len(keys) and (keys[0] < 0 or keys[-1] >= V * V)):
        raise InvalidValueError(f"its keys are not increasing within 0..{V * V - 1}")
    if np.any(counts <= 0):
        raise InvalidValueError(f"its counts hold {int(counts[counts <= 0][0])}, expected ≥ 1")
    smoothing = real_number("smoothing", header.get("smoothing"), least=0)
    return CountProbabilities(V, keys, counts, smoothing, vocabulary.id(bos)), vocabulary


def _whole_numbers(name: str, values: np.ndarray) -> np.ndarray:
    """An array of whole numbers as int64; floats and other kinds are named and refused."""
    if values.dtype.kind not in "iu":
        bad = values.reshape(-1)[:1].tolist()
        shown = f"{bad[0]!r} ({values.dtype})" if bad else f"dtype {values.dtype}"
        raise InvalidValueError(f"its {name} hold {shown}, expected whole numbers")
    return values.astype(np.int64)
