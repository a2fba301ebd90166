"""The report page in a real browser: headless Chromium opens it, and the rendered page is checked.

Chromium runs with no network (every host name resolves to nothing) and a fresh
profile. Where no Chromium is installed the tests are skipped, saying so;
scripts/setup.sh installs Debian's ``chromium`` when it is missing.
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rnnlab import report

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
    return report.write_report(tmp_path_factory.mktemp("report") / "report.html")


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
        "0.00392",  # Pr(seq1)
        "0.00242",  # Pr(seq2)
        "-0.1755",  # dL/dU for N = 1
        "-0.46068",  # N = 2
        "-0.851179",  # N = 3
    ):
        assert value in html, value
    assert html.count("<math") >= 10
    assert html.count("<svg") == 10  # eight graphs, two plots


def test_no_script_errors_and_no_console_messages(dom):
    _, log = dom
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []


def test_the_screenshot_is_not_blank(screenshot):
    # A blank page is one flat colour; text, tables and graphs give many dark pixels.
    assert screenshot.shape == (2400, 1100)
    assert screenshot.std() > 20
    assert (screenshot < 128).mean() > 0.01
