"""Everything ``rnnlab run`` writes, from the lab's answers: graphs, plots, page and JSON.

``write_run(out, answers)`` draws the lab's computation graphs (PDF and SVG, with their
DOT sources), the two plots (PNG and SVG), the report page, which inlines those SVGs
as drawn, in memory, and results.json, the answers as plain data. Every figure is
drawn from the data in ``answers.figures``; nothing is computed again. Each file is
written whole or not at all (rnnlab.files.write_atomic). Nothing here prints: the
command line shows what was written.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure

from rnnlab import graphs
from rnnlab.files import write_atomic
from rnnlab.lab.drawings import Picture
from rnnlab.lab.sections import Answers, plain
from rnnlab.render import plots, report
from rnnlab.render.document import Section


@dataclass(frozen=True)
class RunFiles:
    """What a run wrote, in order, and a warning where Graphviz was missing (else None)."""

    paths: tuple[Path, ...]
    warning: "str | None"


def write_run(
    out: Path, answers: Answers, sections: "tuple[Section, ...]", source: str
) -> RunFiles:
    """Write the run's files into ``out``; ``sections``: rnnlab.render.layout.lab_document(answers).

    source: what the numbers came from, for the page ("the lab's worked example").
    """
    written = [write_atomic(out / "results.json", json.dumps(plain(answers), indent=2) + "\n")]
    pictures, warning = _write_graphs(out, written, answers)
    for name, figure in _plots(answers).items():
        svg = plots.svg(figure)
        written.append(write_atomic(out / f"{name}.png", plots.png(figure)))
        written.append(write_atomic(out / f"{name}.svg", svg))
        pictures[name] = svg
    written.append(report.write_report(out / "report.html", sections, pictures, source))
    return RunFiles(paths=tuple(written), warning=warning)


def _write_graphs(
    out: Path, written: list[Path], answers: Answers
) -> "tuple[dict[str, str], str | None]":
    """Each graph's DOT source, PDF and SVG; returns the SVGs by name, and a warning
    instead of pictures where Graphviz's dot is missing."""
    pictures: dict[str, str] = {}
    warning = None
    for name, graph in answers.figures.graphs.items():
        written.append(write_atomic(out / f"{name}.gv", graph.source))
        if warning is not None:
            continue  # no dot: the remaining sources are still written
        try:
            drawn = graphs.draw(graph, ("pdf", "svg"))
        except graphs.GraphvizNotFoundError as error:
            warning = f"{error}. Their sources are in {out}"
            continue
        for kind, data in drawn.items():
            written.append(write_atomic(out / f"{name}.{kind}", data))
        pictures[name] = drawn["svg"].decode("utf-8")
    return pictures, warning


def _plots(answers: Answers) -> dict[str, Figure]:
    """The page's plots by the stem of their files."""
    figures = answers.figures
    return {
        Picture.VANISHING_EXPLODING.stem(): plots.vanishing_exploding_figure(
            figures.vanishing_exploding
        ),
        Picture.TRAINING.stem(): plots.training_figure(figures.training),
    }
