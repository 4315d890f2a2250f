"""`python3 -m cluster ...` (what the Makefile runs) or `python3 path/to/cluster ...` (reclone's
SERVER_CONTROL_COMMAND, from any directory). The package is described in cluster/__init__.py."""

import sys
from pathlib import Path

if not __package__:
    # Run as a directory: its parent, not the package dir itself, must be importable.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from cluster.cli import main

sys.exit(main())
