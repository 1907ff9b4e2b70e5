"""Refresh the message catalogs (run from the repository root).

    python tourplan/web/translations/update.py

Extracts messages from ``tourplan/web``, ``tourplan/cli`` and ``templates`` into
``messages.pot``, adds the command line's help texts (commands' docstrings and
options' ``help=``, which no gettext call marks), merges them into
``zh/LC_MESSAGES/messages.po`` and compiles ``messages.mo``. Edit
translations in the ``.po`` file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def add_cli_help(pot: Path) -> int:
    """Add the command line's help texts to the template *pot*; return how many it holds."""
    from babel.messages.pofile import read_po, write_po

    from tourplan.cli import main as cli
    from tourplan.cli._help import help_texts

    with pot.open("rb") as fh:
        catalog = read_po(fh)
    texts = help_texts(cli)
    for text in texts:
        catalog.add(text)
    with pot.open("wb") as fh:
        write_po(fh, catalog, omit_header=True, no_location=True)
    return len(texts)


def main() -> int:
    """Extract, update and compile; return the exit status."""
    pot = HERE / "messages.pot"
    extract = ["pybabel", "extract", "-F", str(HERE / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
               "--no-location", "--omit-header", "-o", str(pot), "."]  # fmt: skip
    steps = [
        ["pybabel", "update", "-i", str(pot), "-d", str(HERE), "-l", "zh", "--no-fuzzy-matching"],
        ["pybabel", "compile", "-d", str(HERE), "-l", "zh", "--statistics"],
    ]
    if subprocess.run(extract, check=False).returncode:
        return 1
    add_cli_help(pot)
    for cmd in steps:
        if subprocess.run(cmd, check=False).returncode:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
