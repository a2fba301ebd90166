"""Computation graphs: the lab's pictures (labels, structure), the unrolled RNN's paths, files.

The structure is read back from the DOT source by the small parser below, and the
paths are counted by a graph search written here, so the counts are checked against
the formula N(N + 1)/2 and hand-listed edges, not against rnnlab's own path list.
"""

import itertools
import re
import shutil
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from functools import cache

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab import graphs, lab
from rnnlab.errors import InvalidTypeError, InvalidValueError

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)

_EDGE = re.compile(r"\t(\w+) -> (\w+)(?: \[(.*)\])?\n", re.DOTALL)
_NODE = re.compile(r'\t(\w+) \[label=("(?:[^"\\]|\\.)*"|\w+)(.*)\]\n', re.DOTALL)
_ATTRIBUTE = re.compile(r'(\w+)=("[^"]*"|[^\s\]]+)')


def parse(graph) -> tuple[dict[str, dict], list[tuple[str, str, dict]]]:
    """Nodes (id → attributes, "label" included) and visible edges, from the DOT statements."""
    nodes, edges = {}, []
    for statement in graph.body:
        if edge := _EDGE.fullmatch(statement):
            attributes = _attributes(edge[3] or "")
            if attributes.get("style") != "invis":
                edges.append((edge[1], edge[2], attributes))
        elif node := _NODE.fullmatch(statement):
            label = node[2].strip('"').replace("\\n", "\n")
            nodes[node[1]] = {"label": label, **_attributes(node[3])}
    return nodes, edges


def _attributes(text: str) -> dict:
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(text)}


def count_paths(edges, source: str, target: str) -> int:
    """Paths from source to target in a DAG, each parallel edge its own path."""
    successors: dict[str, list[str]] = {}
    for tail, head, _ in edges:
        successors.setdefault(tail, []).append(head)

    @cache
    def paths_from(node: str) -> int:
        return 1 if node == target else sum(paths_from(n) for n in successors.get(node, []))

    return paths_from(source)


def list_paths(edges, source: str, target: str) -> list[list[str]]:
    successors: dict[str, list[str]] = {}
    for tail, head, _ in edges:
        successors.setdefault(tail, []).append(head)
    found, stack = [], [[source]]
    while stack:
        path = stack.pop()
        if path[-1] == target:
            found.append(path)
        stack.extend([*path, n] for n in successors.get(path[-1], []))
    return found


def node_named(nodes: dict, name: str) -> str:
    """The id of the node whose label's first line is name."""
    (found,) = [key for key, node in nodes.items() if node["label"].split("\n")[0] == name]
    return found


def first_lines(nodes: dict) -> set[str]:
    return {node["label"].split("\n")[0] for node in nodes.values()}


def labs_forward_graph():
    """Section 1.3 exactly as the lab's cells do it."""
    U = torch.Tensor([[-0.3, 0.6], [0.2, 0.1]])
    V = torch.Tensor([[0.4, 0.4], [0.9, -0.7]])
    W = torch.Tensor([[0.2, 0.1], [-0.2, 0.5]])
    x1 = torch.Tensor([0.0, 1.0])
    x2 = torch.Tensor([0.3, 0.4])
    h0 = torch.Tensor([0, 0])
    for p in [U, V, W, x1, x2, h0]:
        p.requires_grad = True
    h1 = torch.clamp(U @ x1 + V @ h0, min=0)
    o1 = W @ h1
    h2 = torch.clamp(U @ x2 + V @ h1, min=0)
    o2 = W @ h2
    params = {"U": U, "V": V, "W": W, "x1": x1, "x2": x2, "h0": h0}
    params |= {"h1": h1, "o1": o1, "h2": h2, "o2": o2}
    return (o1, o2), params


def labs_backward_loss(N: int):
    """Sections 3.1–3.3 as the lab writes them, for N = 1, 2, 3: only U_ requires grad."""
    U_ = torch.Tensor([0.1])
    U_.requires_grad = True
    V_, W_, h0_ = torch.Tensor([0.2]), torch.Tensor([0.3]), torch.Tensor([0])
    x = [None, *(torch.Tensor([v]) for v in (0.5, 0.6, 0.7, 0.8))]
    h = [h0_]
    for t in range(1, N + 1):
        h.append(torch.clamp(U_ * x[t] + V_ * h[t - 1], min=0))
    o = [None, *(W_ * h[t] for t in range(1, N + 1))]
    L_ = sum(((o[t] - x[t + 1]) ** 2 for t in range(2, N + 1)), (o[1] - x[2]) ** 2)
    params = {"L": L_, "U": U_} | {f"h{t}": h[t] for t in range(1, N + 1)}
    return L_, params | {f"o{t}": o[t] for t in range(1, N + 1)}


# --- make_dot: the lab's pictures ---


def test_the_labs_forward_graph_names_every_tensor():
    outputs, params = labs_forward_graph()
    nodes, _ = parse(graphs.make_dot(outputs, params=params))
    assert {"U", "V", "W", "x1", "x2", "h0", "h1", "o1", "h2", "o2"} <= first_lines(nodes)
    # Six leaves, six matrix-vector products (U x1, V h0, W h1, U x2, V h1, W h2), two
    # sums, two ReLUs: sixteen nodes, each op named without autograd's "Backward".
    assert len(nodes) == 16
    labels = Counter(node["label"] for node in nodes.values())
    # Unnamed operations: four products and two sums; W h1, W h2, the ReLUs are named.
    assert {label: labels[label] for label in ("mv", "add")} == {"mv": 4, "add": 2}
    assert {"o1\nmv", "o2\nmv", "h1\nclamp", "h2\nclamp"} <= set(labels)
    assert "Backward" not in graphs.make_dot(outputs, params=params).source


def test_the_labs_forward_graph_has_the_equations_edges():
    outputs, params = labs_forward_graph()
    nodes, edges = parse(graphs.make_dot(outputs, params=params))
    pairs = {(tail, head) for tail, head, _ in edges}
    name = {key: node["label"].split("\n")[0] for key, node in nodes.items()}
    named_pairs = {(name[tail], name[head]) for tail, head in pairs}
    # o_t = W h_t (2): W and h_t feed the product that is o_t.
    assert {("W", "o1"), ("h1", "o1"), ("W", "o2"), ("h2", "o2")} <= named_pairs
    # mv, mv, add, clamp for h1 (1); 2 inputs for each mv and add, 1 for each clamp.
    assert len(edges) == 6 * 2 + 2 * 2 + 2 * 1
    # U is used twice (U x1 and U x2), W twice, V twice.
    out_degree = Counter(name[tail] for tail, _, _ in edges)
    assert out_degree["U"] == out_degree["V"] == out_degree["W"] == 2
    assert out_degree["h1"] == 2  # into o1 and into V h1


def test_parameters_results_and_operations_are_coloured_apart():
    outputs, params = labs_forward_graph()
    nodes, _ = parse(graphs.make_dot(outputs, params=params))
    leaf, result, output = (nodes[node_named(nodes, n)] for n in ("U", "h1", "o1"))
    operation = next(node for node in nodes.values() if node["label"] == "add")
    looks = {
        (node.get("fillcolor"), node.get("shape")) for node in (leaf, result, output, operation)
    }
    assert len(looks) == 4
    assert nodes[node_named(nodes, "x1")].get("fillcolor") == leaf.get("fillcolor")


def test_make_dot_leaves_the_callers_params_alone():
    outputs, params = labs_forward_graph()
    before = dict(params)
    graphs.make_dot(outputs, params=params)
    assert params.keys() == before.keys()
    assert all(params[key] is before[key] for key in params)


@pytest.mark.parametrize("N", [1, 2, 3])
def test_the_labs_backward_graphs_name_their_tensors(N):
    L_, params = labs_backward_loss(N)
    nodes, _ = parse(graphs.make_dot(L_, params=params))
    expected = {"L", "U"} | {f"h{t}" for t in range(1, N + 1)} | {f"o{t}" for t in range(1, N + 1)}
    assert expected <= first_lines(nodes)


@pytest.mark.parametrize("N", [1, 2, 3])
def test_autograds_own_graph_has_n_n_plus_1_over_2_paths_from_U_to_L(N):
    # The lab's question, asked of torch's real graph: each path is a term of dL/dU.
    L_, params = labs_backward_loss(N)
    nodes, edges = parse(graphs.make_dot(L_, params=params))
    assert count_paths(edges, node_named(nodes, "U"), node_named(nodes, "L")) == N * (N + 1) // 2


@pytest.mark.parametrize("N", [1, 4, 7])
def test_the_lab_modules_backward_graph_matches_the_path_count(N):
    nodes, edges = parse(lab.backward_graph(N))
    assert count_paths(edges, node_named(nodes, "U"), node_named(nodes, "L")) == N * (N + 1) // 2


def test_operation_names_lose_autograds_noise():
    A = torch.ones(2, 2, requires_grad=True)
    product = A @ A
    clamped = torch.clamp_min(product, 0)
    nodes, _ = parse(graphs.make_dot(clamped.sum(), params={"A": A}))
    labels = {node["label"] for node in nodes.values()}
    assert {"mm", "clamp_min", "sum"} <= labels


def test_a_leaf_not_named_shows_its_shape_and_a_leaf_output_is_drawn():
    A = torch.ones(3, 2, requires_grad=True)
    nodes, _ = parse(graphs.make_dot((A * 2).sum()))
    assert "(3, 2)" in first_lines(nodes)
    nodes, edges = parse(graphs.make_dot(A, params={"A": A}))
    assert first_lines(nodes) == {"A"} and edges == []


def test_a_graph_thousands_of_steps_deep_is_traced():
    # torchviz recurses once per node and stops at Python's recursion limit.
    U = torch.tensor([0.5], requires_grad=True)
    h = torch.zeros(1)
    for _ in range(3000):
        h = torch.tanh(U * h + 1)
    nodes, edges = parse(graphs.make_dot(h, params={"U": U}))
    assert len(nodes) == 3 * 3000 + 1  # mul, add, tanh per step, and U
    assert count_paths(edges, node_named(nodes, "U"), "n0") == 3000


def test_bad_outputs_and_names_are_named():
    with pytest.raises(InvalidValueError, match="output 1 does not require grad"):
        graphs.make_dot(torch.ones(2))
    with pytest.raises(InvalidTypeError, match="output 2 is a list"):
        graphs.autograd_graph((torch.ones(1, requires_grad=True) * 2, [1.0]))
    with pytest.raises(InvalidTypeError, match="names is a list"):
        graphs.autograd_graph(torch.ones(1, requires_grad=True) * 2, names=[1])
    with pytest.raises(InvalidTypeError, match=r"names\['U'\] is a float"):
        graphs.autograd_graph(torch.ones(1, requires_grad=True) * 2, names={"U": 0.1})


# --- autograd_graph: values and gradients ---


def section_3_4():
    """h_{1,1} of section 3.4, after backward, with h1 and h11 keeping their gradients."""
    U = torch.tensor([[-0.3, 0.6], [0.2, 0.1]], requires_grad=True)
    V = torch.tensor([[0.4, 0.4], [0.9, -0.7]])
    x1, h0 = torch.tensor([0.0, 1.0]), torch.zeros(2)
    h1 = torch.clamp(U @ x1 + V @ h0, min=0)
    h1.retain_grad()
    h11 = h1[0]
    h11.retain_grad()
    return U, h1, h11


def test_values_and_gradients_are_those_derived_by_hand():
    U, h1, h11 = section_3_4()
    h11.backward()
    graph = graphs.autograd_graph(
        h11, names={"U": U, "h1": h1, "h11": h11}, values=True, grads=True
    )
    nodes, _ = parse(graph)
    label = {name: nodes[node_named(nodes, name)]["label"] for name in ("U", "h1", "h11")}
    # h1 = ReLU(U x1) = ReLU([0.6, 0.1]); ∂h_{1,1}/∂U = [x1ᵀ; 0] since ReLU'(0.6) = 1.
    assert "value [[-0.3, 0.6], [0.2, 0.1]]" in label["U"]
    assert "grad [[0, 1], [0, 0]]" in label["U"]
    assert "shape (2, 2)" in label["U"]
    assert "value [0.6, 0.1]" in label["h1"] and "grad [1, 0]" in label["h1"]
    assert "value 0.6" in label["h11"] and "grad 1" in label["h11"]
    assert "shape ()" in label["h11"]


def test_gradients_not_there_say_why():
    U, h1, _ = section_3_4()
    h1_plain = h1 * 1
    graph = graphs.autograd_graph(h1_plain.sum(), names={"U": U, "h1 copy": h1_plain}, grads=True)
    text = graph.source
    assert "none yet (call backward())" in text
    assert "not kept (call retain_grad() before backward)" in text


def test_the_labs_h11_graph_reads_off_the_gradient():
    nodes, _ = parse(lab.h11_gradient_graph())
    assert "grad [[0, 1], [0, 0]]" in nodes[node_named(nodes, "U")]["label"]


# --- unrolled_graph: the paths from U to L ---


@pytest.mark.parametrize("N", range(1, 9))
def test_a_graph_search_finds_n_n_plus_1_over_2_paths(N):
    _, edges = parse(graphs.unrolled_graph(N))
    assert count_paths(edges, "U", "L") == N * (N + 1) // 2
    assert count_paths(edges, "V", "L") == N * (N + 1) // 2
    assert count_paths(edges, "W", "L") == N


@pytest.mark.parametrize("N", [3, 6])
def test_path_k_t_passes_t_minus_k_plus_1_states(N):
    _, edges = parse(graphs.unrolled_graph(N))
    paths = list_paths(edges, "U", "L")
    states = Counter(sum(node.startswith("h") for node in path) for path in paths)
    # A path with m states enters at h_k and leaves at h_(k+m-1): N - m + 1 choices of k.
    assert states == {m: N - m + 1 for m in range(1, N + 1)}
    for path in paths:
        assert path[-2] == f"o{path[-3][1:]}"  # it leaves through the o_t of its last h_t


def test_the_unrolled_graph_has_exactly_the_equations_edges():
    _, edges = parse(graphs.unrolled_graph(2))
    assert sorted((tail, head) for tail, head, _ in edges) == sorted(
        [
            ("U", "h1"), ("V", "h1"), ("x1", "h1"), ("h0", "h1"),
            ("U", "h2"), ("V", "h2"), ("x2", "h2"), ("h1", "h2"),
            ("W", "o1"), ("h1", "o1"), ("W", "o2"), ("h2", "o2"),
            ("o1", "L"), ("o2", "L"),
        ]
    )  # fmt: skip


def coloured(edges):
    return [(tail, head, a["color"]) for tail, head, a in edges if "penwidth" in a]


def test_one_highlighted_path_is_coloured_along_its_whole_length():
    _, edges = parse(graphs.unrolled_graph(5, highlight=(2, 4)))
    assert sorted((tail, head) for tail, head, _ in coloured(edges)) == sorted(
        [("U", "h2"), ("h2", "h3"), ("h3", "h4"), ("h4", "o4"), ("o4", "L")]
    )
    assert len({colour for _, _, colour in coloured(edges)}) == 1


def test_all_paths_each_get_a_colour_and_an_edge_into_L():
    graph = graphs.unrolled_graph(3, highlight="all")
    _, edges = parse(graph)
    into_L = [colour for _, head, colour in coloured(edges) if head == "L"]
    out_of_U = [colour for tail, _, colour in coloured(edges) if tail == "U"]
    assert len(into_L) == len(set(into_L)) == 6
    assert sorted(into_L) == sorted(out_of_U)
    assert "6 paths from U to L" in graph.source
    assert "3 h's" in graph.source  # the path (1, 3) in the legend


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_each_highlighted_path_is_exactly_its_own_coloured_edges(data):
    N = data.draw(st.integers(1, 7), label="N")
    every = [(k, t) for t in range(1, N + 1) for k in range(1, t + 1)]
    chosen = data.draw(st.lists(st.sampled_from(every), min_size=1, unique=True), label="paths")
    _, edges = parse(graphs.unrolled_graph(N, highlight=chosen))
    by_colour: dict[str, list[tuple[str, str]]] = {}
    for tail, head, colour in coloured(edges):
        by_colour.setdefault(colour, []).append((tail, head))
    # Path (k, t): U → h_k, then h_s → h_(s+1) up to h_t, then h_t → o_t → L.
    expected = [
        sorted(
            [
                ("U", f"h{k}"),
                *((f"h{s}", f"h{s + 1}") for s in range(k, t)),
                (f"h{t}", f"o{t}"),
                (f"o{t}", "L"),
            ]
        )
        for k, t in chosen
    ]
    assert sorted(sorted(path) for path in by_colour.values()) == sorted(expected)


def test_a_list_of_paths_and_V():
    _, edges = parse(graphs.unrolled_graph(4, wrt="V", highlight=[(1, 1), (3, 4)]))
    assert Counter(tail for tail, _, _ in coloured(edges))["V"] == 2
    assert Counter(head for _, head, _ in coloured(edges))["L"] == 2


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ((0,), InvalidValueError, "N is 0"),
        ((2.5,), InvalidTypeError, "N is a float"),
        ((3, "W"), InvalidValueError, "wrt is 'W'"),
        ((3, "U", (2, 1)), InvalidValueError, r"path \(2, 1\)"),
        ((3, "U", (1, 4)), InvalidValueError, r"N = 3"),
        ((3, "U", "some"), InvalidValueError, "highlight is 'some'"),
        ((3, "U", [(1, 1), (1, 1)]), InvalidValueError, "twice"),
        ((3, "U", [(1, 1.0)]), InvalidTypeError, "highlight is"),
        ((20, "U", "all"), InvalidValueError, "210 paths"),
    ],
)
def test_bad_unrolled_arguments_are_named(arguments, error, message):
    with pytest.raises(error, match=message):
        graphs.unrolled_graph(*arguments)


# --- files ---


@needs_dot
def test_pdf_svg_and_png_are_valid(tmp_path):
    outputs, params = labs_forward_graph()
    written = graphs.save(graphs.make_dot(outputs, params), tmp_path / "g", ["pdf", "svg", "png"])
    assert [path.name for path in written] == ["g.gv", "g.pdf", "g.svg", "g.png"]
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    svg = ElementTree.parse(tmp_path / "g.svg").getroot()
    assert svg.tag.endswith("svg")
    assert "o1" in "".join(svg.itertext()) and "h0" in "".join(svg.itertext())
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / "g.gv").read_text() == graphs.make_dot(outputs, params).source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.gv", "g.pdf", "g.png", "g.svg"]


@needs_dot
def test_the_labs_render_call_writes_a_pdf(tmp_path):
    # dot.render(data_dir + 'computation_graph') in the lab: a PDF beside the source.
    outputs, params = labs_forward_graph()
    graphs.make_dot(outputs, params=params).render(str(tmp_path / "computation_graph"))
    assert (tmp_path / "computation_graph.pdf").read_bytes().startswith(b"%PDF")


@needs_dot
def test_jupyter_shows_the_graph_inline():
    bundle = graphs.unrolled_graph(2, highlight=(1, 2))._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_without_dot_the_source_is_written_and_the_message_says_how_to_install(
    tmp_path, monkeypatch
):
    (tmp_path / "g.pdf").write_bytes(b"an older picture")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing here"))
    graph = graphs.unrolled_graph(3, highlight="all")
    with pytest.raises(graphs.GraphvizNotFoundError) as raised:
        graphs.save(graph, tmp_path / "g", ["pdf", "svg"])
    assert "apt-get install graphviz" in str(raised.value)
    assert "brew install graphviz" in str(raised.value)
    assert isinstance(raised.value, OSError)  # so the command line reports it in one line
    assert (tmp_path / "g.gv").read_text() == graph.source
    assert (tmp_path / "g.pdf").read_bytes() == b"an older picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.gv", "g.pdf"]


def test_an_unknown_format_writes_nothing(tmp_path):
    with pytest.raises(InvalidValueError, match="format 'gif'"):
        graphs.save(graphs.unrolled_graph(1), tmp_path / "g", ["gif"])
    assert list(tmp_path.iterdir()) == []


@needs_dot
def test_a_1000_step_unrolled_graph_renders(tmp_path):
    start = time.perf_counter()
    graphs.save(graphs.unrolled_graph(1000, highlight=[(1, 1000)]), tmp_path / "long", ["svg"])
    root = ElementTree.parse(tmp_path / "long.svg").getroot()
    titles = {element.text for element in root.iter("{http://www.w3.org/2000/svg}title")}
    assert {"h1000", "o1000", "x1000"} <= titles
    print(f"1000-step unrolled graph drawn as SVG in {time.perf_counter() - start:.1f} s")


# --- the lab's graphs and the command line ---

LAB_GRAPHS = [
    "computation_graph",
    "computation_graph_1",
    "computation_graph_2",
    "computation_graph_3",
    "computation_graph_h11",
    "unrolled_1",
    "unrolled_2",
    "unrolled_3",
]


def test_the_lab_module_builds_every_graph_and_leaves_its_constants_alone():
    assert list(lab.lab_graphs()) == LAB_GRAPHS
    assert not any(t.requires_grad for t in (lab.U, lab.V, lab.W, lab.x1, lab.h0, lab.U_))
    nodes, _ = parse(lab.forward_graph())
    assert {"U", "V", "W", "x1", "x2", "h0", "h1", "o1", "h2", "o2"} <= first_lines(nodes)


def test_run_without_dot_warns_and_writes_every_source(tmp_path, monkeypatch):
    from rnnlab.lab.train import TrainingConfig
    from rnnlab.render import layout
    from rnnlab.render.run import write_run

    answers = lab.answers(training=TrainingConfig(epochs=1, steps_per_epoch=1))
    monkeypatch.setenv("PATH", str(tmp_path / "nothing here"))
    out = tmp_path / "out"
    files = write_run(out, answers, layout.lab_document(answers), "the lab's worked example")
    assert "apt-get install graphviz" in files.warning
    graph_files = [path.name for path in files.paths if path.stem in LAB_GRAPHS]
    assert graph_files == [f"{name}.gv" for name in LAB_GRAPHS]
    assert sorted(p.name for p in out.iterdir() if p.stem in LAB_GRAPHS) == sorted(graph_files)


@needs_dot
def test_run_leaves_every_graph_of_the_lab_as_pdf_and_svg(rnnlab, tmp_path):
    result = rnnlab("run", "--out", str(tmp_path), "--verbose")  # which lists every file
    assert result.returncode == 0, result.stderr
    for name in LAB_GRAPHS:
        assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        ElementTree.parse(tmp_path / f"{name}.svg")
        assert str(tmp_path / f"{name}.pdf") in result.stdout
    assert not list(tmp_path.glob(".*.tmp"))


@needs_dot
def test_graph_command_draws_for_a_users_n(rnnlab, tmp_path):
    result = rnnlab("graph", "5", "--highlight", "2,4", "--format", "png", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for name in ("unrolled_5_U_2-4", "computation_graph_5"):
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert str(tmp_path / f"{name}.png") in result.stdout
    nodes, edges = parse_file(tmp_path / "computation_graph_5.gv")
    assert count_paths(edges, node_named(nodes, "U"), node_named(nodes, "L")) == 15


def parse_file(path):
    class _Statements:
        body = re.findall(r"\t[^\t]*?\n(?=\t|\})", path.read_text(), re.DOTALL)

    return parse(_Statements)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["graph", "3", "--highlight", "3,1"], "path (3, 1) is not in the graph"),
        (["graph", "3", "--highlight", "one"], "--highlight 'one'"),
        (["graph", "3", "--format", "gif"], "format 'gif'"),
        (["graph", "3", "--wrt", "W"], "wrt is 'W'"),
    ],
)
def test_graph_command_bad_input_is_one_line_and_status_2(rnnlab, tmp_path, arguments, message):
    result = rnnlab(*arguments, "--out", str(tmp_path))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("rnnlab: error: ")
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


@needs_dot
@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        (["3"], "unrolled_3_U"),
        (["3", "--all-paths"], "unrolled_3_U_all"),
        (["3", "--highlight", "1,1", "--highlight", "2,3", "--wrt", "V"], "unrolled_3_V_1-1_2-3"),
    ],
)
def test_graph_names_its_files_after_n_wrt_and_highlight(rnnlab, tmp_path, arguments, name):
    # rnnlab run's own unrolled_3 (every path from U highlighted) is another picture.
    (tmp_path / "unrolled_3.svg").write_text("run's picture")
    result = rnnlab("graph", *arguments, "--format", "svg", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "unrolled_3.svg").read_text() == "run's picture"
    assert sorted(p.name for p in tmp_path.glob("unrolled_*")) == sorted(
        ["unrolled_3.svg", f"{name}.gv", f"{name}.svg"]
    )


@needs_dot
def test_graph_keeps_another_graphs_files_unless_forced(rnnlab, tmp_path):
    arguments = ("graph", "2", "--format", "svg", "--out", str(tmp_path))
    (tmp_path / "unrolled_2_U.svg").write_text("another picture")
    refused = rnnlab(*arguments)
    assert refused.returncode == 2
    (line,) = refused.stderr.splitlines()
    assert "unrolled_2_U.svg is already there" in line and "--force" in line
    assert (tmp_path / "unrolled_2_U.svg").read_text() == "another picture"
    assert not (tmp_path / "computation_graph_2.svg").exists()  # refused before any file

    assert rnnlab(*arguments, "--force").returncode == 0
    assert (tmp_path / "unrolled_2_U.svg").read_text().lstrip().startswith("<?xml")
    # Its own files again: the same source, so the same pictures; nothing to refuse.
    assert rnnlab(*arguments).returncode == 0


def test_a_graph_too_large_to_draw_is_refused_before_it_is_built(rnnlab, tmp_path):
    result = rnnlab("graph", "3000", "--out", str(tmp_path))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "N = 3,000 steps" in line and "N ≤ 2," in line
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


SVG = "{http://www.w3.org/2000/svg}"


def _points(element) -> float:
    return float(element.get("font-size"))


@needs_dot
def test_svg_subscripts_are_smaller_and_joined_to_their_letter(tmp_path):
    (svg,) = graphs.save(graphs.unrolled_graph(3, highlight="all"), tmp_path / "u", ["svg"])[1:]
    root = ElementTree.parse(svg).getroot()
    assert not [t for t in root.iter(f"{SVG}text") if t.get("baseline-shift")]
    labels = {}
    for text in root.iter(f"{SVG}text"):
        spans = list(text.iter(f"{SVG}tspan"))
        for before, span in itertools.pairwise(spans):
            if span.get("baseline-shift") == "sub":
                assert _points(span) < _points(before)
        labels["".join(text.itertext())] = len(spans)
    # Each node's letter and subscript are one text: h₁ reads "h1"; the legend's rows too.
    assert {"h1", "o3", "x2", "h0"} <= set(labels)
    assert "U → h1 → h2 → o2 → L   2 h's" in {label.replace("\xa0", " ") for label in labels}
    assert "(1, 2)" in labels  # a legend cell of its own, not run into the path beside it


def test_only_a_subscript_and_its_tail_join_the_piece_before():
    svg = "\n".join(
        [
            '<text text-anchor="start" x="1" y="-5" font-size="14.00">(1, 1)</text>',
            '<text text-anchor="start" x="40" y="-5" font-size="14.00">U → h</text>',
            '<text text-anchor="start" x="60" y="-5" baseline-shift="sub" font-size="10.00">'
            "1</text>",
            '<text text-anchor="start" x="66" y="-5" font-size="14.00"> → L</text>',
            '<text text-anchor="start" x="1" y="-25" font-size="14.00">next row</text>',
        ]
    )
    assert graphs.render.svg_text_runs(svg).split("\n") == [
        '<text text-anchor="start" x="1" y="-5" font-size="14.00">(1, 1)</text>',
        '<text text-anchor="start" x="40" y="-5"><tspan font-size="14.00">U → h</tspan>'
        '<tspan baseline-shift="sub" font-size="10.00">1</tspan>'
        '<tspan font-size="14.00"> → L</tspan></text>',
        '<text text-anchor="start" x="1" y="-25" font-size="14.00">next row</text>',
    ]


@needs_dot
def test_a_slow_drawing_shows_a_progress_bar_on_a_terminal(tmp_path, monkeypatch, capsys):
    from rich.console import Console

    from rnnlab.cli.graph import save_graphs

    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    drawn = {"a": graphs.unrolled_graph(2), "b": graphs.unrolled_graph(3)}
    written = save_graphs(drawn, tmp_path, ["svg"], progress=True)
    assert [path.name for path in written] == ["a.gv", "a.svg", "b.gv", "b.svg"]
    assert "Graphviz lays out" in capsys.readouterr().err
    save_graphs(drawn, tmp_path, ["svg"])  # quick work: no bar
    assert "Graphviz lays out" not in capsys.readouterr().err


def test_the_prose_names_the_colours_the_graph_is_drawn_in():
    import re

    from rnnlab.lab import drawings
    from rnnlab.render import layout

    # Graphviz's colour names and hex values, as a reader names them.
    seen_as = {"lightblue": "blue", "#fdd49e": "orange", "darkolivegreen1": "green"}
    source = drawings.forward_graph(lab.WORKED).source
    fills = {}  # the tensor each node shows (its first label line) by the colour word
    for label, fill in re.findall(
        r'label=<?"?([^"\n>]*?)(?:<|"|\n).*?fillcolor="?([#\w]+)', source
    ):
        fills.setdefault(seen_as[fill], set()).add(label.split()[0] if label else "")
    sections = {section.number: section for section in layout.lab_document(lab.answers())}
    prose = sections["1.3"].blocks[0].text
    assert "blue boxes are the tensors the lab names" not in prose
    for colour, meaning in (("blue", "leaf"), ("orange", "named results"), ("green", "outputs")):
        assert re.search(rf"{colour}\b[^;,]*{meaning}", prose), (colour, prose)
        assert colour in fills, (colour, fills)
    legend = re.search(r'label="([^"]*ellipses[^"]*)"', source).group(1)
    for colour, meaning in (("blue", "leaf"), ("orange", "named results"), ("green", "outputs")):
        assert re.search(rf"{colour}: {meaning}", legend)
