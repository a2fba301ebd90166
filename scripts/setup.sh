#!/usr/bin/env bash
# Everything rnnlab needs on a fresh Debian machine, done once and skipped when done:
# Graphviz's `dot`, bubblewrap's `bwrap` (the grading sandbox), a virtual environment in
# .venv, torch==2.13.0 (the local CPU wheel, installed first so nothing pulls a CUDA
# build), then rnnlab with every extra (.[dev]: notebook, grading and the tests' tools).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.rnnlab-installed"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v dot >/dev/null 2>&1; then
    echo "setup: installing Graphviz (dot) with apt-get" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
fi

# bubblewrap (`bwrap`): `rnnlab notebook grade` runs each student's notebook in its sandbox,
# under a seccomp filter that the system's Python compiles with libseccomp (python3-seccomp).
if ! command -v bwrap >/dev/null 2>&1; then
    echo "setup: installing bubblewrap (bwrap, the grading sandbox) with apt-get" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
fi
if ! /usr/bin/python3 -c 'import seccomp' >/dev/null 2>&1; then
    echo "setup: installing libseccomp's Python bindings (python3-seccomp) with apt-get" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-seccomp >/dev/null
fi

# Chromium only for the tests (`scripts/setup.sh test`): the browser test of the report
# page opens it headless. `rnnlab run` needs no browser. Where it cannot be installed,
# the set-up goes on and that test is skipped, saying why.
if [ "${1:-}" = test ] && ! command -v chromium >/dev/null 2>&1; then
    echo "setup: installing Chromium (for the report's browser test) with apt-get" >&2
    { as_root apt-get update -qq &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
        echo "setup: could not install Chromium; the browser test will be skipped" >&2
fi

# The report page names a math font for its MathML (Σ and ∏ with their limits): Debian's
# fonts-dejavu-extra has DejaVu Math TeX Gyre, which the browser test checks Chromium uses.
# (grep reads fc-list's output whole: with pipefail, `fc-list | grep -q` fails when grep
# stops reading early.)
if [ "${1:-}" = test ] && ! grep -q "DejaVu Math TeX Gyre" <<<"$(fc-list : family 2>/dev/null)"; then
    echo "setup: installing a math font (fonts-dejavu-extra) with apt-get" >&2
    { as_root apt-get update -qq &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-extra \
            >/dev/null; } ||
        echo "setup: could not install fonts-dejavu-extra; the math-font check will fail" >&2
fi

# python3 first: the local torch==2.13.0 CPU wheel is built for the machine's own Python
# (3.11 here); another version would make pip fetch a CUDA build instead.
python=""
for candidate in python3 python3.11 python3.12 python3.13; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    echo "setup: rnnlab needs Python 3.11 or newer" >&2
    exit 1
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"

wanted=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "setup: installing torch==2.13.0 and rnnlab into $venv" >&2
    pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
    # pip warns about each missing local index folder; those lines are noise here.
    "${pip[@]}" torch==2.13.0 2> >(grep -v 'is ignored: it is neither' >&2)
    "${pip[@]}" -e '.[dev]' 2> >(grep -v 'is ignored: it is neither' >&2)
    echo "$wanted" >"$stamp"
fi

# KenLM's Python module, only for the tests (`scripts/setup.sh test`): the ARPA export is
# checked against KenLM's own scores where it imports. It compiles from source (about two
# minutes); where that fails the set-up goes on, those tests skip saying why, and the
# failure is remembered so the next run does not try again.
kenlm_failed="$venv/.kenlm-failed"
if [ "${1:-}" = test ] && [ ! -e "$kenlm_failed" ] &&
    ! "$venv/bin/python" -c 'import kenlm' >/dev/null 2>&1; then
    echo "setup: building KenLM's Python module (for the ARPA tests)" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check kenlm \
        2> >(grep -v 'is ignored: it is neither' >&2) || {
        echo "setup: could not build kenlm; the KenLM tests will be skipped" >&2
        touch "$kenlm_failed"
    }
fi

# The grading sandbox's users, when grading as root: the student's kernel runs as
# rnnlab-student and the Jupyter client that reads its answers as rnnlab-worker, never as
# root. Both must be able to read the Python installation, the virtual environment and
# rnnlab (read-only binds): where a folder above them is closed to other users (pyenv's
# Python under /root, a clone under a private folder), it gets the right to pass through
# (o+x), not to be listed.
if [ "$(id -u)" = 0 ]; then
    for user in rnnlab-student rnnlab-worker; do
        if ! id "$user" >/dev/null 2>&1; then
            echo "setup: creating the system user $user (the grading sandbox runs as it)" >&2
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$user"
        fi
    done
    read -r -a needed < <("$venv/bin/python" -c 'import os, sys, rnnlab
print(os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix),
      os.path.dirname(os.path.realpath(rnnlab.__file__)), os.path.realpath(sys.prefix))')
    for path in "${needed[@]}"; do
        # From / down, so that each folder is tried once those above it can be passed.
        folder=""
        for part in $(dirname "$path" | tr / ' '); do
            folder="$folder/$part"
            if ! setpriv --reuid=rnnlab-student --regid=rnnlab-student --clear-groups \
                test -x "$folder"; then
                echo "setup: letting the sandbox users pass through $folder (chmod o+x)" >&2
                chmod o+x "$folder"
            fi
        done
    done
fi
