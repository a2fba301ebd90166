"""Fuzzing the command line: every subcommand, random bad arguments and files.

Each run must end in exit status 0, or 2 with exactly one line on stderr
("rnnlab: error: ..."), and never a traceback (``formula --check`` also exits 1: the
formula checked is wrong). The commands and their options are read
from the Click commands Typer builds, so a new command or option is fuzzed as soon as
it exists. Commands run in this process (a new Python per run spends seconds importing
torch), each under an alarm: work that runs past SECONDS counts as unbounded.

``make test`` runs a bounded number of examples; RNNLAB_FUZZ_EXAMPLES=2000 runs more.
"""

import _thread
import contextlib
import importlib
import io
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlab import cli

EXAMPLES = int(os.environ.get("RNNLAB_FUZZ_EXAMPLES", "80"))
SECONDS = 60
"""A command still running after this long counts as unbounded work."""

NUMBERS = ["0", "1", "2", "3", "-1", "2.5", "nan", "inf", "-inf", "1e308", str(10**20), "2**70"]
WORDS = ["", " ", "x", "ü", "a,b", "1,1", "3,1", "U", "V", "W", "tanh", "pdf", "gif", "-", "--"]
FILES = [
    "corpus.txt",  # a small valid text
    "model.npz",  # a valid model fitted from it
    "truncated.npz",
    "flipped.npz",
    "garbage.npz",
    "empty.txt",
    "binary.txt",
    "garbage.ipynb",
    "garbage.zip",
    "folder",
    "missing.txt",
    "read-only/out",
]


def _invoke(*arguments: str) -> tuple[int, str, str]:
    """Run ``rnnlab ARGUMENTS`` in this process: (exit status, stdout, stderr).

    An exception that escapes main() is what a user would see as a traceback: it is
    raised here, so the test fails naming it.
    """
    out, err = io.StringIO(), io.StringIO()
    old_argv, sys.argv = sys.argv, ["rnnlab", *arguments]
    # Past SECONDS, Ctrl-C as a user would press it: the command ends with status 130.
    timer = threading.Timer(SECONDS, _thread.interrupt_main)
    timer.start()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                cli.main()
                code = 0
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
    finally:
        timer.cancel()
        sys.argv = old_argv
    return code, out.getvalue(), err.getvalue()


def _commands() -> dict[str, object]:
    """Every command and subcommand by its words ("run", "bigram fit"), all modules loaded."""
    for module in {module for module, _ in cli.COMMANDS.values()}:
        importlib.import_module(f"rnnlab.cli.{module}")
    found: dict[str, object] = {}

    # Typer brings its own copy of Click, so commands are told apart by what they have.
    def walk(prefix: str, command) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            found[prefix] = command

    walk("", typer.main.get_command(cli.app))
    return found


COMMANDS = _commands()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """A folder of inputs, good and bad, named as in FILES."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "corpus.txt").write_text("the cat sat .\nthe dog sat on the cat .\n")
    code, _, err = _invoke(
        "bigram", "fit", str(folder / "corpus.txt"), "-o", str(folder / "model.npz")
    )
    assert code == 0, err
    model = (folder / "model.npz").read_bytes()
    (folder / "truncated.npz").write_bytes(model[: len(model) // 2])
    flipped = bytearray(model)
    flipped[len(model) // 3] ^= 0xFF
    (folder / "flipped.npz").write_bytes(bytes(flipped))
    (folder / "garbage.npz").write_bytes(os.urandom(300))
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\xff\xfe\x00\x81 not utf-8")
    (folder / "garbage.ipynb").write_text("{not json")
    (folder / "garbage.zip").write_bytes(b"PK\x03\x04 truncated")
    (folder / "folder").mkdir()
    (folder / "read-only").mkdir()
    (folder / "read-only").chmod(0o555)
    yield folder
    (folder / "read-only").chmod(0o755)


def _values(parameter, folder: Path) -> st.SearchStrategy[str]:
    """Values for one parameter: mostly of its own kind, so that the commands get past
    parsing into their work, and any other kind now and then."""
    files = st.sampled_from([str(folder / name) for name in FILES])
    numbers = st.sampled_from(NUMBERS)
    kind = parameter.type_descriptor.annotation
    if kind in (int, float):
        own = numbers
    elif kind is Path or kind == (Path | None) or kind == list[Path]:
        own = files
    else:
        own = st.one_of(st.sampled_from(WORDS), files, numbers)
    anything = st.one_of(numbers, st.sampled_from(WORDS), files, st.text(max_size=6))
    return st.one_of(own, own, own, anything)


@st.composite
def command_lines(draw, folder: Path) -> list[str]:
    """A command's words, then some of its options and arguments with drawn values."""
    words = draw(st.sampled_from(sorted(COMMANDS)))
    command = COMMANDS[words]
    line = words.split()
    for parameter in draw(st.permutations(command.params)):
        value = _values(parameter, folder)
        if parameter.param_type_name == "argument":
            # Mostly given (a missing argument ends at parsing), sometimes left out.
            count = draw(st.sampled_from([1, 1, 1, 0] if parameter.nargs == 1 else [1, 2, 3, 0]))
            line += [draw(value) for _ in range(count)]
        elif draw(st.booleans()):
            line.append(draw(st.sampled_from(parameter.opts)))
            if not parameter.is_flag:
                line.append(draw(value))
    if draw(st.integers(0, 9)) == 0:
        line.insert(draw(st.integers(0, len(line))), draw(st.sampled_from(["--bogus", "-z"])))
    return line


def _check(line: list[str]) -> None:
    code, _, err = _invoke(*line)
    lines = [text for text in err.splitlines() if text.strip()]
    command = f"rnnlab {' '.join(line)}"
    assert code != 130, f"{command}: still running after {SECONDS} s"
    statuses = (0, 1, 2) if line[:1] == ["formula"] and "--check" in line else (0, 2)
    assert code in statuses, f"{command}: exit {code}, stderr {err!r}"
    errors = [text for text in lines if text.startswith("rnnlab: error:")]
    if code == 2 and line[-1:] != ["--help"] and err:
        assert len(lines) == 1 and errors, f"{command}: stderr {err!r}"
    assert "Traceback" not in err


@pytest.mark.slow
def test_every_command_with_bad_arguments_is_one_line_and_status_0_or_2(files, tmp_path):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def fuzz(data) -> None:
        # Each example on a fresh copy of the files, run from inside it: outputs of earlier
        # examples are not inputs of later ones. They were: `notebook build 2`, then
        # `notebook grade 2 ''` graded real notebooks for minutes (no fault of the grader).
        with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
            folder = shutil.copytree(files, Path(scratch) / "fuzz", symlinks=True)
            with contextlib.chdir(folder):
                _check(data.draw(command_lines(folder)))

    fuzz()


@pytest.mark.parametrize("share", [i / 8 for i in range(8)])
def test_a_truncated_or_bit_flipped_model_is_one_line(files, tmp_path, share):
    model = (files / "model.npz").read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(model[: int(len(model) * share)])
    flipped = bytearray(model)
    flipped[int((len(model) - 1) * (share + 1 / 16))] ^= 0x5A
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    for broken in (cut, tmp_path / "flipped.npz"):
        for line in (
            ["bigram", "score", "-m", str(broken), str(files / "corpus.txt")],
            ["bigram", "sample", "-m", str(broken), "-n", "2", "--seed", "1"],
            ["bigram", "prob", "-m", str(broken), "the", "cat"],
        ):
            _check(line)


def test_the_cases_the_fuzzer_found_are_one_line(files, tmp_path):
    # A binary file as the score table once gave a UnicodeDecodeError traceback.
    _check(["notebook", "merge", str(files / "model.npz"), "--out", str(tmp_path / "final.csv")])
    code, _, err = _invoke(
        "notebook", "merge", str(files / "binary.txt"), "--out", str(tmp_path / "x.csv")
    )
    assert code == 2 and "is not a score table" in err
    # A model file given as the example: once a UnicodeDecodeError traceback. Its own
    # file: the shared model.npz may be rewritten by the fuzzing, and may then decode.
    model = tmp_path / "model.npz"
    model.write_bytes(b"PK\x03\x04\xff\xfe binary")
    code, _, err = _invoke("run", "--example", str(model), "--out", str(tmp_path / "out"))
    assert code == 2 and "not UTF-8 text" in err
