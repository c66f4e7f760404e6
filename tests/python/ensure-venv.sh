#!/usr/bin/env bash
# Creates (or reuses) the Python venv holding the OASIS reference tools and
# prints its path on stdout. Idempotent: the venv is rebuilt only when
# requirements.txt changes (its sha256 is kept in a stamp file). Safe to run
# from parallel test processes: creation happens under an exclusive flock.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requirements="$here/requirements.txt"
venv="${ISACX_PY_VENV:-$HOME/.cache/isacx/py-venv}"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

command -v "$python" >/dev/null 2>&1 || { echo "python3 not found" >&2; exit 127; }

mkdir -p "$(dirname "$venv")"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

exec 9>"$venv.lock"
flock 9

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "$venv"
    exit 0
fi

echo "ensure-venv: (re)creating $venv" >&2
rm -rf "$venv"
"$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
echo "$want" >"$stamp"
echo "$venv"
