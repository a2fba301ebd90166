"""The report page and the terminal render the same answers: checked against hand-derived
values, against each other, and for what the page must never hold.

The page as a browser renders it is checked in test_report_browser.py.
"""

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from rnnlab import lab
from rnnlab.cli.terminal import print_sections
from rnnlab.lab.train import TrainingConfig
from rnnlab.render import document, layout, report, tables
from rnnlab.render.run import write_run


@pytest.fixture(scope="module")
def answered():
    return lab.answers(training=TrainingConfig(epochs=20))


@pytest.fixture(scope="module")
def sections(answered):
    return layout.lab_document(answered)


@pytest.fixture(scope="module")
def run_folder(answered, sections, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    files = write_run(out, answered, sections, "the lab's worked example")
    return out, files


@pytest.fixture(scope="module")
def page(run_folder) -> str:
    out, _ = run_folder
    return (out / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def terminal(sections, run_folder) -> str:
    """What `rnnlab run` prints, at 80 columns."""
    console = Console(width=80, file=io.StringIO(), highlight=False, markup=False)
    print_sections(sections, run_folder[1].paths, console)
    return console.file.getvalue()


class _Page(HTMLParser):
    """The page's text outside <math> and <svg>, its headings and its contents list."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.headings: list[str] = []
        self.contents: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag):
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data):
        if "math" in self._open or "svg" in self._open or "style" in self._open:
            return
        self.text.append(data)
        if self._open[-1:] == ["h2"]:
            self.headings.append(data)
        if self._open[-2:] == ["li", "a"]:
            self.contents.append(data)


@pytest.fixture(scope="module")
def parsed(page) -> _Page:
    collector = _Page()
    collector.feed(page)
    return collector


def flat(text: str) -> str:
    """Text with every run of white space (and a table's rules) as one space."""
    return " ".join(re.sub(r"[│┃┏┓┗┛┡┩└┘┳┻╇╋━─┼┬┴├┤]", " ", text).split())


def bare(text: str) -> str:
    """Text without white space, underscores and parentheses: a subscript's marks."""
    return re.sub(r"[\s_()]", "", flat(text))


def test_the_pages_prose_sets_subscripts_as_subscripts(page, parsed):
    # Paragraphs, questions, answers and table cells (headings keep the terminal's text).
    prose = " ".join(re.findall(r"<(?:p|td|th)\b[^>]*>(.*?)</(?:p|td|th)>", page, re.DOTALL))
    for written in ("h_0", "x_t", "h_(t-1)", "U_(1,1)", "o_t", "T_i"):
        assert written not in prose, written
    for shown in ("h<sub>0</sub>", "x<sub>t</sub>", "h<sub>t-1</sub>", "U<sub>1,1</sub>"):
        assert shown in page, shown
    # Names that are not math keep their underscores.
    assert "U_grad" in prose and "bigram_rnn" in prose


def block_texts(sections) -> list[str]:
    """Every piece of text that both renderings must show."""
    texts = []
    for section in sections:
        texts.append(section.heading)
        for block in section.blocks:
            if isinstance(block, (document.Paragraph, document.Question, document.Answer)):
                texts.append(block.text)
            elif isinstance(block, document.Table):
                texts += [block.caption or "", *block.header]
                texts += [cell for row in block.rows for cell in row]
    return [text for text in texts if text]


def test_the_terminal_and_the_page_show_the_same_text(sections, terminal, parsed):
    # The page sets the terminal's h_(t-1) as h<sub>t-1</sub>: compare without the marks.
    page_text = bare(" ".join(parsed.text))
    printed = flat(terminal)
    for text in block_texts(sections):
        assert bare(text) in page_text, text
        # A table cell may wrap inside its column on the terminal: compare its words.
        assert all(word in printed for word in flat(text).split()), text


def test_every_formula_is_mathml_on_the_page_and_text_on_the_terminal(sections, page, terminal):
    formulas = [b for s in sections for b in s.blocks if isinstance(b, document.Formula)]
    assert page.count("<math") == len(formulas)
    for formula in formulas:
        for line in formula.lines:
            assert flat(line) in flat(terminal)
            # Printed with a two-space indent, no line wraps at 80 columns.
            assert len(line) <= document.FORMULA_WIDTH, line


def test_no_title_or_caption_wraps_mid_word_at_80_columns(sections, terminal):
    printed = flat(terminal)
    for section in sections:
        assert flat(section.heading) in printed
        for block in section.blocks:
            if isinstance(block, document.Table) and block.caption:
                assert flat(block.caption) in printed, block.caption


def test_the_contents_list_matches_the_headings(parsed, sections):
    assert parsed.contents == parsed.headings == [s.heading for s in sections]
    numbers = [s.number for s in sections if s.number]
    assert numbers == ["1.2", "1.3", "2.1", "2.2", "2.3", "3", "3.1", "3.2", "3.3", "3.4", "3.5"]


def test_the_forward_values_worked_by_hand_are_on_the_page(parsed):
    # U x1 = [0.6, 0.1] and h0 = 0, so h1 = ReLU([0.6, 0.1]) = [0.6, 0.1];
    # o1 = W h1 = [0.2·0.6 + 0.1·0.1, −0.2·0.6 + 0.5·0.1] = [0.13, −0.07];
    # U x2 + V h1 = [0.15 + 0.28, 0.10 + 0.47] = [0.43, 0.57] = h2;
    # o2 = W h2 = [0.086 + 0.057, −0.086 + 0.285] = [0.143, 0.199].
    text = "".join(parsed.text)
    for value in ("[0.6, 0.1]", "[0.13, -0.07]", "[0.43, 0.57]", "[0.143, 0.199]"):
        assert value in text


def test_the_probabilities_and_gradients_worked_by_hand_are_on_the_page(parsed):
    text = "".join(parsed.text)
    # seq1: 0.6⁶ · 0.4 · 0.7 · 0.3 = 0.003919104; seq2: 0.3² · 0.4² · 0.7⁵ = 0.002420208.
    assert "0.0039191" in text and "0.00242021" in text
    # N = 1: dL/dU = 2(0.015 − 0.6) · 0.3 · 0.5 = −0.1755; ∂L/∂o_3 = 2(0.0252 − 0.8).
    assert "-0.1755" in text and "-1.5496" in text
    # The printed factors multiply to the printed term: −1.5496 · 0.3 · 0.7 = −0.325416.
    assert "-0.325416" in text


def test_the_three_methods_agree_on_the_page(parsed):
    differences = re.findall(r"(\d\.\de[+-]\d\d)", "".join(parsed.text))
    assert len(differences) == 6  # two examples × three methods
    assert max(float(d) for d in differences) < 1e-12


def test_no_raw_tex_in_the_pages_text(parsed):
    text = "".join(parsed.text)
    assert not re.search(r"[_^]\{|\\[a-zA-Z]+", text), re.search(r".{30}[_^]\{.{30}", text)


def test_the_pictures_are_inline_svg_and_nothing_is_fetched(parsed, run_folder):
    out, _ = run_folder
    tags = [tag for tag, _ in parsed.tags]
    assert tags.count("svg") == len(list(out.glob("*.svg"))) == 10  # eight graphs, two plots
    assert tags.count("script") == 0
    for tag, attributes in parsed.tags:
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            assert not value or value.startswith("#"), (tag, name, value)


def test_the_page_inlines_the_svgs_written_beside_it(run_folder, page):
    out, files = run_folder
    for svg in out.glob("*.svg"):
        assert report.inline_svg(svg.read_text(encoding="utf-8")) in page, svg.name
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in files.paths)
    assert files.warning is None


def test_results_json_is_float64_and_holds_every_answer(run_folder):
    data = json.loads((run_folder[0] / "results.json").read_text())
    assert data["forward"]["values"]["h1"] == [0.6, 0.1]  # not 0.6000000238418579
    assert data["bigram"]["more_likely"] == "seq1"
    # Section 3.4: ∂h_1/∂U_(1,1) = 0 for every σ, and U_grad = [[0, 1], [0, 0]].
    assert data["h11"]["dh1_dU11"] == {name: [0.0, 0.0] for name in data["h11"]["dh1_dU11"]}
    assert data["h11"]["U_grad"] == [[0.0, 1.0], [0.0, 0.0]] and data["h11"]["is_zero"]
    assert data["backward"]["cases"][0]["dL_dU"] == pytest.approx(-0.1755, rel=1e-12)
    assert data["learning"]["config"]["epochs"] == 20


def test_a_graph_that_could_not_be_drawn_gets_a_note(sections):
    html = report.report_html(sections, {})
    assert "(computation_graph is not drawn here: Graphviz's dot program was not" in html
    assert "<svg" not in html


def test_inline_svg_drops_the_xml_prologue_and_comments():
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n'
        '<!-- made by dot -->\n<svg viewBox="0 0 1 1"><!-- node --><g/></svg>\n'
    )
    assert report.inline_svg(svg) == '<svg viewBox="0 0 1 1"><g/></svg>'


def test_math_converts_latex_to_mathml():
    mathml = report.math(r"\frac{a}{b}")
    assert mathml.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
    assert "<mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac>" in mathml


def test_a_table_block_escapes_its_cells():
    html = report.block_html(document.Table(("<b>",), (("a & b", "<script>"),), '"q"'), {})
    assert "&lt;b&gt;" in html and "a &amp; b" in html and "&lt;script&gt;" in html
    assert "&quot;q&quot;" in html and "<script>" not in html


def test_numbers_keep_the_digits_asked_for():
    # A bare :g stops at six significant digits; 8 must give 8.
    assert tables.number(0.41771412345, 8) == "0.41771412"
    assert tables.number(-1.5496, 6) == "-1.5496"
    assert tables.number(2.5e-7) == "2.5e-07" and tables.number(-0.0) == "0"


def test_each_figure_on_the_terminal_names_a_file_that_was_written(sections, run_folder):
    out, files = run_folder
    figures = [b for s in sections for b in s.blocks if isinstance(b, document.Figure)]
    lines = re.findall(r"\(drawn as (\S+\.svg): ", _printed(sections, files.paths))
    assert [Path(line).name for line in lines] == [f"{f.name}.svg" for f in figures]
    assert all(Path(line).is_file() for line in lines)
    # Without Graphviz's dot only the graphs' DOT sources are written: their lines say so,
    # and the plots, drawn by matplotlib, are still named as drawn.
    graphs = {path.stem for path in files.paths if path.suffix == ".gv"}
    sources_only = [p for p in files.paths if not (p.stem in graphs and p.suffix != ".gv")]
    printed = _printed(sections, sources_only)
    for figure in figures:
        if figure.name in graphs:
            expected = (
                f"not drawn, Graphviz's dot was not found; its source is {out / figure.name}.gv"
            )
        else:
            expected = f"drawn as {out / figure.name}.svg"
        assert f"({expected}: {figure.caption})" in printed.replace("\n", " ")


def _printed(sections, written) -> str:
    console = Console(width=1000, file=io.StringIO(), highlight=False, markup=False)
    print_sections(sections, written, console)
    return console.file.getvalue()
