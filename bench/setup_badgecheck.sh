#!/usr/bin/env bash
# Make bench/.venv-badgecheck: the reference Open Badges validator (badgecheck, the PyPI
# release of openbadges-validator-core) in an environment of its own, for bench/verify.py.
# Safe to run again: an environment already made from these same pins is left as it is.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$bench/.venv-badgecheck"
python="${PYTHON:-python3.11}"
# badgecheck 1.1.8 pins releases of 2017 that do not import on Python 3.11 (pycryptodome
# 3.6.6, python-jose 3.0.1, pytz 2017.2); later ones do, and pip warns that the pins are
# broken. python-jose stays at 3.2.0, the last release whose pycryptodome backend takes the
# RSA key objects badgecheck hands it: with 3.3.0 or 3.5.0 every signed badge fails.
badgecheck="badgecheck==1.1.8"
repins=("python-jose==3.2.0" pycryptodome pytz)
# The marker holds what the environment was made from; other pins make it anew.
stamp="$badgecheck ${repins[*]}"

if [[ -f "$venv/ready" && "$(cat "$venv/ready")" == "$stamp" ]] \
  && "$venv/bin/python" -c "import openbadges.verifier" 2>/dev/null; then
  echo "badgecheck is ready in $venv"
  exit 0
fi

"$python" -m venv --clear "$venv"
"$venv/bin/pip" install --quiet "$badgecheck"
"$venv/bin/pip" install --quiet --upgrade "${repins[@]}"
"$venv/bin/python" -c "import openbadges.verifier"
# Written last: an install cut short leaves no marker, so the next run starts over.
echo "$stamp" >"$venv/ready"
echo "badgecheck is ready in $venv"
