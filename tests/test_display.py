"""Tests for rnnlab.model.display: the equations' values drawn in Jupyter by the render layer."""

import subprocess
import sys

from rnnlab.model import display


def test_a_value_nobody_draws_shows_as_its_repr():
    class Plain:
        pass

    assert display.html(Plain()) is None  # Jupyter then shows repr(value)


def test_a_registered_function_draws_its_class_only():
    class Drawn:
        pass

    class Subclass(Drawn):
        pass

    display.draws(Drawn)(lambda value: f"<b>{type(value).__name__}</b>")
    assert display.html(Drawn()) == "<b>Drawn</b>"
    assert display.html(Subclass()) is None


def test_the_render_layer_is_imported_at_the_first_display_not_before():
    # h1 = 1, h2 = 0 + 0.5 · 1 = 0.5; o = 2 h.
    probe = """if True:
        import sys
        from rnnlab.model.rnn import ElmanRNN
        trace = ElmanRNN(1.0, 0.5, 2.0, sigma="identity").forward([1.0, 0.0])
        assert "rnnlab.render.notebook" not in sys.modules
        html = trace._repr_html_()
        assert "rnnlab.render.notebook" in sys.modules
        assert "<td" in html and "[0.5]" in html and "[1]" in html, html
    """
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
