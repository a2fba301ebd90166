"""The README's Python examples run as written, and give what the README says they do."""

import re
from pathlib import Path

import pytest

from rnnlab import ElmanRNN, bptt, next_token_targets

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_examples_run_in_order(tmp_path, monkeypatch):
    assert len(EXAMPLES) >= 5
    monkeypatch.chdir(tmp_path)  # examples that save files write them here
    namespace: dict = {}  # one namespace: later examples use names from earlier ones
    for number, example in enumerate(EXAMPLES, start=1):
        exec(compile(example, f"README example {number}", "exec"), namespace)
    assert (tmp_path / "figs" / "computation_graph.svg").exists()


def test_the_gradient_the_readme_quotes():
    # The scalar example by hand (ReLU is the identity here: every z_t > 0):
    #   h = 0.05, 0.07, 0.084;  o = 0.3 h = 0.015, 0.021, 0.0252
    #   ∂L/∂o_t = 2 (o_t − x_{t+1}) = −1.17, −1.358, −1.5496
    #   dL/dU = Σ_t ∂L/∂o_t · W · Σ_{k≤t} V^(t−k) x_k
    #         = −1.17·0.3·0.5 − 1.358·0.3·0.7 − 1.5496·0.3·0.84 = −0.8511792
    xs, ys = next_token_targets([0.5, 0.6, 0.7, 0.8])
    gradient = bptt(ElmanRNN(0.1, 0.2, 0.3), xs, ys).U
    assert gradient.item() == pytest.approx(-0.8511792, abs=1e-6)
