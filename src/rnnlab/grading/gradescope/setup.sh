#!/usr/bin/env bash
# rnnlab's Gradescope autograder, set-up: run once, as root, where the zip was unpacked
# (/autograder/source, or $AUTOGRADER_ROOT/source). It installs what the sandbox needs,
# makes the two users it runs students' code and the grader's client as, installs rnnlab
# into a virtual environment, and closes the autograder's own files to those users.
set -euo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
source_folder="$root/source"
venv="$root/venv"
torch=${RNNLAB_TORCH:-torch>=2.13}

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
/usr/bin/python3 -c 'import seccomp' >/dev/null 2>&1 || missing+=(python3-seccomp)
/usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

for user in rnnlab-student rnnlab-worker; do
    id "$user" >/dev/null 2>&1 || useradd --system --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
done

python=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
        python=$candidate
        break
    fi
done
[ -n "$python" ] || { echo "setup: rnnlab needs Python 3.11 or newer" >&2; exit 1; }
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" "$torch"
wheel=$(ls "$source_folder"/wheels/rnnlab-*.whl)
"${pip[@]}" "$wheel[grading]"

# Closed to the sandbox's users: the autograder's files (the checks and their expected
# values), the submission and the results, and rnnlab's own grading code and master
# notebook inside the environment. Open to them: the environment and the Python it runs.
chmod 700 "$source_folder"
mkdir -p "$root/submission" "$root/results"
chmod 700 "$root/submission" "$root/results"
package=$("$venv/bin/python" -c 'import os, rnnlab; print(os.path.dirname(rnnlab.__file__))')
chmod -R go-rwx "$package/grading" "$package/notebooks"
read -r -a needed < <("$venv/bin/python" -c 'import os, sys
print(os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix), sys.prefix)')
for path in "${needed[@]}"; do
    folder=""
    for part in $(dirname "$path" | tr / ' '); do
        folder="$folder/$part"
        setpriv --reuid=rnnlab-student --regid=rnnlab-student --clear-groups test -x "$folder" ||
            chmod o+x "$folder"
    done
done
echo "setup: rnnlab's autograder is ready in $venv"
