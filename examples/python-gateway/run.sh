#!/bin/sh
# Starts the example gateway from its cached virtual environment; "run.sh --prepare" makes that environment first
# (once: it is keyed by the hash of requirements.txt and the Python version, under ~/.cache/pg-resilience/).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${GW_PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "python-gateway: $PYTHON not found: install Python 3.11+ (Debian: apt-get install python3 python3-venv)" >&2
    exit 2
fi
PYVER=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
KEY=$(sha256sum "$HERE/requirements.txt" | cut -c1-12)
VENV=${XDG_CACHE_HOME:-$HOME/.cache}/pg-resilience/python-gateway-$KEY-py$PYVER
if [ "${1:-}" = "--prepare" ]; then
    if [ ! -f "$VENV/.complete" ]; then
        if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
            echo "python-gateway: $PYTHON has no venv module: install it (Debian: apt-get install python3-venv)" >&2
            exit 2
        fi
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary :all: --require-hashes \
            -r "$HERE/requirements.txt" >&2
        touch "$VENV/.complete"
    fi
    echo "$VENV"
    exit 0
fi
if [ ! -f "$VENV/.complete" ]; then
    echo "python-gateway: no virtual environment at $VENV: run $0 --prepare first" >&2
    exit 2
fi
exec "$VENV/bin/python" -u "$HERE/gateway.py"
