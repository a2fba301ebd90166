"""``rnnlab run``: the whole lab on its worked example, section by section."""

import json
from pathlib import Path
from typing import Annotated

import torch
import typer
from rich.table import Table

from rnnlab import lab, report
from rnnlab.cli import app
from rnnlab.cli.display import bold, console, heading, matrix_table, number, vector
from rnnlab.cli.graph import save_lab_graphs
from rnnlab.files import write_atomic


def print_forward_step(forward: lab.ForwardStep) -> None:
    heading("1  The forward step")
    console.print("h_t = ReLU(U x_t + V h_(t-1)),  o_t = W h_t,  from h0 = [0, 0]")
    table = Table("t", "x_t", "U x_t + V h_(t-1)", "h_t", "o_t")
    trace = forward.trace
    for t, x in enumerate((lab.x1, lab.x2), start=1):
        table.add_row(
            str(t), vector(x), vector(trace.z[t - 1]), vector(trace.h[t]), vector(trace.o[t - 1])
        )
    console.print(table)
    for name in ("h1", "o1", "h2", "o2"):
        console.print(f"{name} = {vector(getattr(forward, name))}")
    console.print()
    bold("Why does h have one more element than x and o?")
    console.print(lab.H_HAS_ONE_MORE)
    heading("1.3  The computation graph of o1 and o2")
    console.print("Drawn into the output folder as computation_graph.pdf and .svg.")
    bold("Is the generated computation graph what you expected?")
    console.print(lab.FORWARD_GRAPH_ANSWER)


def print_bigram(scores: lab.SequenceScores) -> None:
    heading("2.1  Bigram language models")
    console.print(matrix_table("T[i, j] = Pr(v_j | v_i), rows and columns a, b", lab.T))
    model = lab.bigram_model()
    table = Table("sequence", "tokens", "probability")
    for name, seq, probability in (
        ("seq1", lab.seq1, scores.probability1),
        ("seq2", lab.seq2, scores.probability2),
    ):
        tokens = "".join(lab.TOKENS[i] for i in model.ids(seq))
        table.add_row(name, tokens, f"{probability:.5f}")
    console.print(table)
    console.print(f"Probability of A: {scores.probability1:.5f}")
    console.print(f"Probability of B: {scores.probability2:.5f}")
    console.print(f"More likely: {scores.more_likely}")


def print_tiny_bigram_rnn(tiny: lab.TinyBigramRNN) -> None:
    heading("2.2  Tiny bigram RNN")
    console.print("σ(x) = x, with")
    for name in ("U", "V", "W"):
        console.print(matrix_table(name, getattr(tiny.rnn, name)))
    table = Table("input", "o_1", "row of T", "equal")
    for i, output in enumerate(tiny.outputs):
        equal = bool(torch.allclose(output, lab.T[i]))
        table.add_row(
            f"v_{i + 1} = {vector(lab.Vocab[i])}",
            vector(output),
            vector(lab.T[i]),
            "yes" if equal else "NO",
        )
    console.print(table)
    console.print(f"Outputs equal the rows of T: {'yes' if tiny.matches_T else 'NO'}")
    heading("2.3  General bigram RNN")
    console.print(lab.GENERAL_BIGRAM_RNN)


def print_backward() -> None:
    """Section 3: every backward answer, with the scalar example's numbers."""
    heading("3.1–3.3  The backward step: dL/dU on the scalar RNN")
    inputs = ", ".join(number(float(x)) for x in lab.SCALAR_INPUTS)
    console.print(
        f"U = {number(float(lab.U_))}, V = {number(float(lab.V_))}, W = {number(float(lab.W_))},"
        f" x = {inputs}, σ = ReLU, h0 = {number(float(lab.h0_))};"
        "  L = Σ_t (x_(t+1) − o_t)²"
    )
    for N in (1, 2, 3):
        answer = lab.scalar_backward(N)
        console.print()
        count = answer.path_count
        bold(f"N = {N}: {count} path{'s' if count > 1 else ''} from U to L")
        console.print(answer.formula)
        partials = Table("partial derivative", "value")
        for name, value in answer.partials.items():
            partials.add_row(name, number(value))
        console.print(partials)
        terms = Table("path (k, t)", "h's on it", "term")
        for path, term in answer.path_terms.items():
            terms.add_row(str(path), str(answer.states_on_path[path]), number(term, 6))
        console.print(terms)
        console.print(
            f"dL/dU = {number(answer.dL_dU, 6)}   (reverse sweep: {number(answer.reverse, 6)},"
            f" autograd: {number(answer.autograd, 6)})"
        )
    console.print()
    bold("How many paths from U to L, and how many h's on each?")
    console.print(lab.PATHS_ANSWER)

    heading("3.4  Looking back: ∂h1/∂U_(1,1)")
    h11 = lab.h11_gradient()
    table = Table("σ", "∂h1/∂U_(1,1)")
    for name, value in h11.dh1_dU11.items():
        table.add_row(name, vector(value))
    console.print(table)
    console.print(lab.H11_ANSWER)
    console.print()
    console.print(f"z1 = U x1 + V h0 = {vector(h11.z1)}")
    console.print("U_grad = ∂h_(1,1)/∂U by h11.backward(), σ = ReLU:")
    console.print(matrix_table("U_grad", h11.U_grad))
    console.print(lab.U_GRAD_ANSWER)

    heading("3.5  Arbitrary N")
    console.print(lab.GENERAL_N_ANSWER)


def results(forward: lab.ForwardStep, scores: lab.SequenceScores, tiny: lab.TinyBigramRNN) -> dict:
    """The run's numbers as plain JSON values."""
    return {
        "forward": {name: getattr(forward, name).tolist() for name in ("h1", "o1", "h2", "o2")},
        "bigram": {
            "seq1": scores.probability1,
            "seq2": scores.probability2,
            "more_likely": scores.more_likely,
        },
        "tiny_bigram_rnn": {
            "U": tiny.rnn.U.tolist(),
            "V": tiny.rnn.V.tolist(),
            "W": tiny.rnn.W.tolist(),
            "outputs_equal_T": tiny.matches_T,
        },
        "backward": {f"dL_dU_N{N}": lab.scalar_backward(N).dL_dU for N in (1, 2, 3)},
    }


@app.command()
def run(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for what the run writes.", file_okay=False)
    ] = Path("rnnlab-out"),
) -> None:
    """Carry out the whole lab on its worked example and print each section's results."""
    forward, scores, tiny = lab.forward_step(), lab.sequence_scores(), lab.tiny_bigram_rnn()
    print_forward_step(forward)
    print_bigram(scores)
    print_tiny_bigram_rnn(tiny)
    print_backward()
    written = write_atomic(
        out / "results.json", json.dumps(results(forward, scores, tiny), indent=2)
    )
    drawn = save_lab_graphs(out)
    # The plots and the report page, which inlines the graphs' SVG just written.
    drawn += report.write_run_outputs(
        out,
        {path.stem: path.read_text(encoding="utf-8") for path in drawn if path.suffix == ".svg"},
    )
    heading("Written")
    console.print(str(written))
    for path in drawn:
        console.print(str(path), soft_wrap=True)
