#!/usr/bin/env bash
# Print the path of a working python<version> (default 3.12, the Lambda runtime's), or fail.
# Looks on PATH first, then in pyenv's versions folder (its shims may not activate 3.12).
set -euo pipefail
want=${1:-3.12}
for cand in "python$want" $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want"*/bin/python"$want" 2>/dev/null | sort -V -r); do
  if path=$(command -v "$cand" 2>/dev/null) && "$path" -c 'import sys, venv' >/dev/null 2>&1; then
    "$path" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "find-python: no working python$want found (install it, or set PYTHON=/path/to/python$want)" >&2
exit 1
