"""Fuzzing the public API: random shapes, dtypes, non-finite values, wrong kinds, huge sizes.

Every call must return a result or raise rnnlab's own InvalidValueError or
InvalidTypeError: nothing else (no raw torch RuntimeError, no IndexError, no MemoryError).
The calls run in a subprocess whose address space is capped with
``resource.setrlimit(RLIMIT_AS)``, so a call that tries to allocate past the budget fails
there (as MemoryError or torch's allocation error, both counted as a bug) instead of
taking the machine down. Huge sizes go to the calls whose work does not grow with them
(count_paths, explore.view); the work a size asks for is the command line's to check
(rnnlab.cli.budgets).

``make test`` runs a bounded number of examples; RNNLAB_FUZZ_EXAMPLES=5000 runs more.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BUDGET = 6 * 2**30
"""The subprocess's address-space limit: torch itself maps about 2 GB of it."""
EXAMPLES = int(os.environ.get("RNNLAB_FUZZ_EXAMPLES", "150"))


@pytest.mark.slow
def test_the_public_api_returns_or_raises_rnnlabs_errors():
    pytest.importorskip("hypothesis")
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("fuzz_api_worker.py")), str(EXAMPLES)],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "RNNLAB_FUZZ_BUDGET": str(BUDGET)},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-8000:]
    assert "calls:" in result.stdout, result.stdout


def test_the_cases_the_fuzzer_found_are_named():
    import torch

    from rnnlab import BigramLM, next_token_targets
    from rnnlab.errors import InvalidTypeError, InvalidValueError

    # A 0-d tensor has __len__ but len() raises TypeError: once a raw TypeError.
    with pytest.raises(InvalidValueError, match=r"xs is a single number \(1.5\)"):
        next_token_targets(torch.tensor(1.5))
    # Found by the API fuzzer: float() of a complex 0-d tensor raised a raw RuntimeError.
    with pytest.raises(InvalidValueError, match=r"xs is a single number \(\(nan\+nanj\)\)"):
        next_token_targets(torch.tensor(complex("nan+nanj"), dtype=torch.complex128))
    with pytest.raises(InvalidValueError, match=r"xs is a single number \(on the meta device\)"):
        next_token_targets(torch.tensor(1.0, device="meta"))
    # list(sentences) on a number or a 0-d tensor: once a raw TypeError.
    for sentences in (7, torch.tensor(1.0), None):
        with pytest.raises(InvalidTypeError, match="sentences must be a list of token lists"):
            BigramLM.estimate(sentences)
