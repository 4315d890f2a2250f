#!/usr/bin/env python3
"""What `make bench` runs: bench/cli.py's main() inside the project's venv (--help lists the steps).

The bench is a package, one module per concern (bench/__init__.py lists them).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

try:
    import MySQLdb  # noqa: F401 - only to learn whether this is the venv's Python
    import requests  # noqa: F401
except ImportError:  # started with a Python outside the project's venv: re-run inside it
    if VENV_PYTHON.exists() and Path(sys.prefix).resolve() != VENV_PYTHON.parents[1].resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    raise

# Run as a script, Python puts this directory first on sys.path: the package's parent goes
# there instead, so that the package's modules are not importable as top-level names too.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
else:
    sys.path.insert(0, str(ROOT))

from bench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
