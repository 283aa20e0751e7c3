#!/usr/bin/env bash
# Make bench/.venv-badgecheck: the reference Open Badges validator (badgecheck, the PyPI
# release of openbadges-validator-core) in an environment of its own, for bench/verify.py.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$bench/.venv-badgecheck"
python="${PYTHON:-python3.11}"

"$python" -m venv --clear "$venv"
"$venv/bin/pip" install --quiet "badgecheck==1.1.8"
# badgecheck 1.1.8 pins releases of 2017 that do not import on Python 3.11 (pycryptodome
# 3.6.6, python-jose 3.0.1, pytz 2017.2); later ones do, and pip warns that the pins are
# broken. python-jose stays at 3.2.0, the last release whose pycryptodome backend takes the
# RSA key objects badgecheck hands it: with 3.3.0 or 3.5.0 every signed badge fails.
"$venv/bin/pip" install --quiet --upgrade "python-jose==3.2.0" pycryptodome pytz
"$venv/bin/python" -c "import openbadges.verifier"
# bench/verify.py sets the environment up again until this marker says it is complete.
touch "$venv/ready"
echo "badgecheck is ready in $venv"
