"""``python -m rnnlab.grading [MASTER]``: write the master notebook's test cells from checks.py."""

import sys
from pathlib import Path

from rnnlab.grading.assignment import MASTER
from rnnlab.grading.checks import write_master

write_master(Path(sys.argv[1]) if len(sys.argv) > 1 else MASTER)
