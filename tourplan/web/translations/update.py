"""Refresh the message catalogs (run from the repository root).

    python tourplan/web/translations/update.py

Extracts messages from ``tourplan/web``, ``tourplan/cli`` and ``templates`` into
``messages.pot``, merges them into ``zh/LC_MESSAGES/messages.po`` and
compiles ``messages.mo``. Edit translations in the ``.po`` file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    """Extract, update and compile; return the exit status."""
    pot = HERE / "messages.pot"
    steps = [
        ["pybabel", "extract", "-F", str(HERE / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
         "--no-location", "--omit-header", "-o", str(pot), "."],
        ["pybabel", "update", "-i", str(pot), "-d", str(HERE), "-l", "zh", "--no-fuzzy-matching"],
        ["pybabel", "compile", "-d", str(HERE), "-l", "zh", "--statistics"],
    ]  # fmt: skip
    for cmd in steps:
        if subprocess.run(cmd, check=False).returncode:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
