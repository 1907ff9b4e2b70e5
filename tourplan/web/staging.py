"""Checks on a staged site-table upload before it may replace the active one.

* The size cap, checked first: at most ``UPLOAD_MAX_SITES`` data rows
  (default :data:`tourplan.limits.MAX_SITES`, the largest table the planner
  serves within its time targets). Rows are counted by a CSV reader, so a
  quoted newline neither hides a row nor adds one, in time linear in the
  file; a larger table is refused before any row is validated.
* Staged files expire: a preview is kept for ``UPLOAD_STAGING_TTL`` seconds
  (default one hour); after that its token is refused and the file deleted,
  and each new preview clears expired ones.
* Problems shown on the page name files by their base name only, never a
  path on the server (the explicit legs are read from ``data/edges.csv``
  or ``EDGES_PATH``).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import time
from typing import TYPE_CHECKING, TypeVar

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _  # type: ignore[import-untyped, unused-ignore]
from werkzeug.exceptions import HTTPException

from tourplan.errors import DataValidationError, Issue
from tourplan.web.i18n import error_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

__all__ = ["apply_staged", "count_rows", "expired", "over_the_cap", "sweep", "without_paths"]

_T = TypeVar("_T")


def apply_staged(apply: Callable[[], _T], *, gone: str, back: str) -> _T:
    """Apply a staged file (``apply()``), or flash why not and go back to the ``back`` endpoint.

    A token that no longer names a staged file (``KeyError``: expired or
    used) flashes ``gone``; rows that no longer pass (``DataValidationError``)
    flash its message. Either way the request ends in a 303 redirect to
    ``back`` (raised as an :class:`~werkzeug.exceptions.HTTPException`, as
    :func:`flask.abort` raises a response).
    """
    try:
        return apply()
    except KeyError:
        flash(gone, "error")
    except DataValidationError as exc:
        flash(error_text(exc), "error")
    raise HTTPException(response=redirect(url_for(back), code=303))


def count_rows(raw: bytes, stop_after: int) -> int | None:
    """Data rows (non-blank records after the header), counting stops past ``stop_after``.

    Returns None when the bytes are not UTF-8 CSV; the full check then says why.

    Examples
    --------
    >>> count_rows(b'id,note\\na,"two\\nlines"\\n\\nb,x\\n', 100)
    2
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    n = -1
    try:
        for record in csv.reader(io.StringIO(text)):
            if record:
                n += 1
                if n > stop_after:
                    break
    except csv.Error:
        return None
    return max(n, 0)


def over_the_cap(raw: bytes, filename: str) -> list[Issue]:
    """One problem when the table has more rows than ``UPLOAD_MAX_SITES``, else none."""
    cap = int(current_app.config["UPLOAD_MAX_SITES"])
    n = count_rows(raw, cap)
    if n is None or n <= cap:
        return []
    expected = _(
        "at most %(cap)d sites: the largest table the planner serves within its time targets "
        "(1-day plan 300 ms, 3 days 1 s)",
        cap=cap,
    )
    return [Issue(filename, None, None, _("more than %(cap)d sites", cap=cap), str(expected))]


def without_paths(problems: Iterable[Issue]) -> tuple[Issue, ...]:
    """The problems with each file named by its base name (no server path).

    Examples
    --------
    >>> without_paths([Issue("/srv/app/data/edges.csv", 3, "to_id", "x", "a site id")])[0].file
    'edges.csv'
    """
    out = []
    for p in problems:
        name = p.file.replace("\\", "/").rsplit("/", 1)[-1]
        out.append(dataclasses.replace(p, file=name) if name != p.file else p)
    return tuple(out)


def _ttl() -> float:
    return float(current_app.config["UPLOAD_STAGING_TTL"])


def expired(path: Path) -> bool:
    """Whether a staged file is older than ``UPLOAD_STAGING_TTL`` (a missing one counts as expired)."""
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return True
    return age > _ttl()


def sweep(folder: Path) -> int:
    """Delete the expired staged files in ``folder``; return how many."""
    gone = 0
    for path in folder.glob("*.csv"):
        if expired(path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                gone += 1
    return gone
