"""The report page in a real browser: headless Chromium opens it, and the rendered page is checked.

Chromium runs with no network (every host name resolves to nothing) and a fresh
profile. Where no Chromium is installed the tests are skipped, saying so;
scripts/setup.sh installs Debian's ``chromium`` when it is missing.
"""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rnnlab import lab
from rnnlab.lab.train import TrainingConfig
from rnnlab.render import layout
from rnnlab.render.run import write_run

pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        f"no Chromium found (looked for {', '.join(BROWSERS)}); "
        "scripts/setup.sh installs Debian's chromium"
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The page `rnnlab run` writes, with a short training run."""
    answers = lab.answers(training=TrainingConfig(epochs=10))
    out = tmp_path_factory.mktemp("report")
    write_run(out, answers, layout.lab_document(answers), "the lab's worked example")
    return out / "report.html"


# Measures the page as laid out, for the test only: the page itself has no script.
PROBE = """<script>
const box = (element) => element.getBoundingClientRect();
const mathml = document.querySelector("msub");
// A subscript is a <tspan> after its letter's (rnnlab.graphs.render joins them in one <text>).
const svgText = [...document.querySelectorAll('svg [baseline-shift="sub"]')][0];
const text = [...document.querySelectorAll("p, td, th, figcaption, li, h2, h3")]
  .map((element) => element.innerText).join("\\n");
document.body.insertAdjacentHTML("beforeend", "<pre id=probe></pre>");
document.getElementById("probe").textContent = JSON.stringify({
  mathFont: getComputedStyle(document.querySelector("math")).fontFamily,
  mathFontInstalled: document.fonts.check('16px "DejaVu Math TeX Gyre"'),
  mathSub: [box(mathml.children[0]).height, box(mathml.children[1]).height],
  svgSub: [box(svgText.previousElementSibling).height, box(svgText).height],
  contents: [...document.querySelectorAll("nav a")].map((a) => a.innerText),
  headings: [...document.querySelectorAll("h2")].map((h) => h.innerText),
  text: text,
  // Formulas wider than the page, which would have to be scrolled sideways.
  overflowing: [...document.querySelectorAll(".wide")]
    .filter((element) => element.scrollWidth > element.clientWidth + 1)
    .map((element) => `${element.scrollWidth} > ${element.clientWidth}: ` +
      element.textContent.slice(0, 40)),
});
</script>"""


@pytest.fixture(scope="module")
def measured(browser, page, tmp_path_factory) -> dict:
    """The probe's measurements of the rendered page."""
    folder = tmp_path_factory.mktemp("probe")
    probed = folder / "report.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
    done = run_browser(browser, probed, folder / "profile", "--dump-dom", "--window-size=1200,2400")
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, flags=re.DOTALL)
    assert found is not None, done.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def run_browser(browser: str, page: Path, profile: Path, *arguments: str):
    """Chromium headless on the page, offline, as root or not; returns the finished process."""
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # needed as root, harmless otherwise
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no host name resolves: no network at all
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *arguments,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture(scope="module")
def dom(browser, page, tmp_path_factory):
    """The page's DOM after the browser loaded it, and the browser's log."""
    done = run_browser(browser, page, tmp_path_factory.mktemp("profile"), "--dump-dom")
    return done.stdout, done.stderr


@pytest.fixture(scope="module")
def screenshot(browser, page, tmp_path_factory) -> np.ndarray:
    folder = tmp_path_factory.mktemp("screenshot")
    picture = folder / "report.png"
    run_browser(
        browser,
        page,
        folder / "profile",
        f"--screenshot={picture}",
        "--window-size=1100,2400",
        "--hide-scrollbars",
    )
    return np.asarray(Image.open(picture).convert("L"), dtype=np.float64)


def test_the_key_numbers_are_in_the_rendered_page(dom):
    html, _ = dom
    for value in (
        "[0.13, -0.07]",  # o1
        "[0.143, 0.199]",  # o2
        "0.0039191",  # Pr(seq1) = 0.003919104
        "0.00242021",  # Pr(seq2) = 0.002420208
        "-0.1755",  # dL/dU for N = 1
        "-0.46068",  # N = 2
        "-0.851179",  # N = 3
    ):
        assert value in html, value
    assert html.count("<svg") == 10  # eight graphs, two plots


def test_the_contents_match_the_headings(measured):
    assert measured["contents"] == measured["headings"]
    assert measured["headings"][:3] == [
        "1.2 The forward step",
        "1.3 The computation graph",
        "2.1 Bigram language models",
    ]


def test_a_math_font_is_set_and_installed(measured):
    assert measured["mathFont"].startswith('"DejaVu Math TeX Gyre"')
    assert measured["mathFontInstalled"]


def test_subscripts_are_drawn_smaller_than_their_base(measured):
    base, subscript = measured["mathSub"]
    assert 0 < subscript < base
    base, subscript = measured["svgSub"]  # Graphviz's <SUB> in the unrolled graphs
    assert 0 < subscript < base


def test_no_formula_scrolls_sideways_at_1200_pixels(measured):
    # dL/dU for N = 3 has six terms of up to seven fractions: too wide for one line.
    assert measured["overflowing"] == []


def test_no_raw_tex_in_the_rendered_text(measured):
    assert not re.search(r"[_^]\{|\\[a-zA-Z]+", measured["text"])


def test_no_script_errors_and_no_console_messages(dom):
    _, log = dom
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []


def test_the_screenshot_is_not_blank(screenshot):
    # A blank page is one flat colour; text, tables and graphs give many dark pixels.
    assert screenshot.shape == (2400, 1100)
    assert screenshot.std() > 20
    assert (screenshot < 128).mean() > 0.01
