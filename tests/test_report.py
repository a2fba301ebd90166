"""Tests for rnnlab.report: the page's numbers against hand-derived values, and its make-up.

The page as a browser renders it is checked in test_report_browser.py.
"""

import re
from html.parser import HTMLParser

import pytest

from rnnlab import lab, report, tables
from rnnlab.train import Training, train


@pytest.fixture(scope="module")
def quick_training() -> Training:
    return train(lab.T, epochs=20, seed=0)


@pytest.fixture(scope="module")
def page(quick_training) -> str:
    return report.report_html(training=quick_training)


class _Collector(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def parsed(page) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def test_the_forward_values_worked_by_hand_are_on_the_page(parsed):
    # U x1 = [0.6, 0.1] and h0 = 0, so h1 = ReLU([0.6, 0.1]) = [0.6, 0.1];
    # o1 = W h1 = [0.2·0.6 + 0.1·0.1, −0.2·0.6 + 0.5·0.1] = [0.13, −0.07];
    # U x2 + V h1 = [0.15 + 0.28, 0.10 + 0.47] = [0.43, 0.57] = h2;
    # o2 = W h2 = [0.086 + 0.057, −0.086 + 0.285] = [0.143, 0.199].
    text = "".join(parsed.text)
    for value in ("[0.6, 0.1]", "[0.13, -0.07]", "[0.43, 0.57]", "[0.143, 0.199]"):
        assert value in text


def test_the_sequence_probabilities_worked_by_hand_are_on_the_page(parsed):
    text = "".join(parsed.text)
    # seq1 = aaaaaabbaa: six a→a, one a→b, one b→b, one b→a.
    assert f"{0.6**6 * 0.4 * 0.7 * 0.3:.5f}" == "0.00392"
    # seq2 = babbbbabbb: two b→a, two a→b, five b→b.
    assert f"{0.3**2 * 0.4**2 * 0.7**5:.5f}" == "0.00242"
    assert "0.00392" in text
    assert "0.00242" in text
    assert "The more likely of the two is seq1" in text


def test_the_backward_answers_are_on_the_page(parsed):
    text = "".join(parsed.text)
    # N = 1: h1 = 0.1·0.5 = 0.05, o1 = 0.3·0.05 = 0.015, dL/do1 = 2(0.015 − 0.6) = −1.17,
    # dL/dU = −1.17 · W · x1 = −1.17 · 0.3 · 0.5 = −0.1755 (ReLU's slope is 1 here).
    assert "-0.1755" in text
    for N, count in ((1, 1), (2, 3), (3, 6)):
        assert f"N = {N}: {count} path" in text
    # ∂h1/∂U₁,₁ = σ'(z) · x1,1 = 0 for every σ, and U_grad = [[0, 1], [0, 0]].
    assert text.count("[0, 0]") >= 4
    assert "U_grad" in text


def test_the_three_methods_agree_on_the_page(parsed):
    text = "".join(parsed.text)
    differences = re.findall(r"(\d\.\de[+-]\d\d)", text)
    assert len(differences) == 6  # two examples × three methods
    assert max(float(d) for d in differences) < 1e-12


def test_formulas_are_mathml_and_graphs_are_inline_svg(parsed):
    tags = [tag for tag, _ in parsed.tags]
    assert tags.count("math") >= 10
    # The eight graphs of rnnlab.lab.lab_graphs and the two plots.
    assert tags.count("svg") == 10
    assert tags.count("script") == 0


def test_nothing_is_fetched_from_elsewhere(parsed):
    for tag, attributes in parsed.tags:
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            assert not value or value.startswith("#"), (tag, name, value)
    assert all(tag not in ("link", "img", "iframe", "script") for tag, _ in parsed.tags)


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


def test_tables_escape_their_cells():
    html = tables.table(["<b>"], [["a & b", "<script>"]], caption='"quoted"')
    assert "&lt;b&gt;" in html
    assert "a &amp; b" in html
    assert "&lt;script&gt;" in html
    assert "&quot;quoted&quot;" in html
    assert "<script>" not in html


def test_the_training_section_reports_the_run_it_is_given(parsed, quick_training):
    text = "".join(parsed.text)
    assert "takes 20 × 10 Adam steps, each on a fresh sequence of 50 tokens" in text
    assert f"within {quick_training.distance.max_abs:.3f} of the row of T" in text
    # The learnt rows sit beside T's rows, and bigram_rnn(T) reproduces T exactly.
    assert text.count("[0.6, 0.4]") >= 3
    assert text.count("[0.3, 0.7]") >= 3


def test_a_graph_that_could_not_be_drawn_gets_a_note(quick_training):
    html = report.report_html({}, quick_training)
    assert "(computation_graph is not drawn here: Graphviz&#x27;s dot program was not" in html
    assert "<svg" not in html


def test_write_run_outputs_writes_the_plots_and_the_page_with_the_given_graphs(tmp_path):
    graphs = {name: f"<svg><title>given {name}</title></svg>" for name in lab.lab_graphs()}
    written = report.write_run_outputs(tmp_path, graphs)
    assert [path.name for path in written] == [
        "vanishing_exploding.png",
        "vanishing_exploding.svg",
        "training.png",
        "training.svg",
        "report.html",
    ]
    html = (tmp_path / "report.html").read_text()
    for name in graphs:
        assert f"<svg><title>given {name}</title></svg>" in html
    # The plots on the page are the ones written beside it.
    for name in ("vanishing_exploding", "training"):
        assert report.inline_svg((tmp_path / f"{name}.svg").read_text()) in html
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(p.name for p in written)
