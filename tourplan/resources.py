"""Where the bundled data, templates and static files live.

The source tree keeps them at the top level (``data/``, ``templates/``,
``static/``).  An installed wheel carries the same folders as the data-only
packages ``tourplan._data``, ``tourplan._templates`` and ``tourplan._static``
(see ``[tool.setuptools.package-dir]`` in pyproject.toml).  These helpers
return whichever exists, preferring the source tree so that an editable
install always sees the files being edited.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def _find(top: str, package: str) -> Path:
    here = _ROOT / top
    if here.is_dir():
        return here
    try:
        found = Path(str(resources.files(package)))
    except ModuleNotFoundError:  # pragma: no cover - broken install
        return here
    return found


def data_dir() -> Path:
    """Folder holding ``pois.csv`` and ``edges.csv``."""
    return _find("data", "tourplan._data")


def templates_dir() -> Path:
    """Folder holding the Jinja templates of the web app."""
    return _find("templates", "tourplan._templates")


def static_dir() -> Path:
    """Folder holding the static files (CSS, JS, vendored Leaflet)."""
    return _find("static", "tourplan._static")


def default_pois_path() -> Path:
    """The bundled site table."""
    return data_dir() / "pois.csv"


def default_edges_path() -> Path:
    """The bundled explicit legs (trails, shuttles, cable cars)."""
    return data_dir() / "edges.csv"
