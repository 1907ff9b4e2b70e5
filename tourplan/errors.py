"""Exceptions and warnings raised by tourplan.

Every exception derives from :class:`TourplanError` and from the builtin it
most resembles, so callers may catch either (``except ValueError`` still
works for a validation problem).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


class TourplanError(Exception):
    """Base class of every error tourplan raises on purpose."""


@dataclass(frozen=True)
class Issue:
    """One problem found in an input (a file, a table, a request).

    (Named ``Issue`` so that the package has one ``Problem``: the
    optimizer's, :class:`tourplan.optimize.Problem`.)

    Attributes
    ----------
    file
        Path of the file, as given by the caller.
    row
        1-based data row number (the header is row 0); ``None`` for a
        problem with the whole file (a missing column, say).
    column
        Column name, or ``None`` when the problem is not tied to a column.
    value
        The offending value as read (a string), or ``None``.
    expected
        What was expected instead, in plain words.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        got = "" if self.value is None else f": got {self.value!r}"
        return f"{where}{got}; expected {self.expected}"


class DataValidationError(TourplanError, ValueError):
    """An input table has one or more invalid values.

    ``problems`` holds every problem found, so a user can fix them all at once.
    """

    def __init__(self, problems: list[Issue], what: str = "site data") -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {n - 5} more)" if n > 5 else ""
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in {what}: {head}{more}")


class UnknownSiteError(TourplanError, KeyError):
    """A site id or place name that matches no site."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown site"


class PlaceNotFoundError(TourplanError, LookupError):
    """A free-text place could not be matched to a site or geocoded."""


class InfeasibleRequestError(TourplanError, ValueError):
    """A request that no plan can satisfy; the message says why.

    ``messages`` (when the raiser gives them) are the same refusal as
    :class:`tourplan.messages.Message` codes and parameters, for a page to
    render in its user's language and in its own terms.
    """

    def __init__(self, *args: object, messages: tuple[Any, ...] = ()) -> None:
        super().__init__(*args)
        self.messages = messages

    @classmethod
    def coded(cls, *messages: Any) -> InfeasibleRequestError:
        """The refusal made of these messages (its ``str`` is their English sentences)."""
        return cls(" ".join(m.render("en") for m in messages), messages=tuple(messages))

    def text(self, lang: str = "zh") -> str:
        """The refusal in *lang* when it is coded, else as given."""
        return " ".join(m.render(lang) for m in self.messages) if self.messages else str(self)


class NoRouteError(InfeasibleRequestError):
    """Two sites are not connected for the chosen transport mode."""


class SolverError(TourplanError, RuntimeError):
    """The optimizer failed in a way that is not the user's fault."""


class TourplanWarning(UserWarning):
    """Base class of tourplan's own warnings."""


class LikelyGCJ02Warning(TourplanWarning):
    """A coordinate that looks like it was taken from a GCJ-02 (Chinese) map."""


class RequestValidationError(TourplanError, ValueError):
    """A request with one or more bad fields.

    ``errors`` maps each bad field to what was wrong with it, so an API can
    answer with the field names.  A problem may be given as a
    :class:`tourplan.messages.Message`; a page then shows it in its user's
    language (:meth:`text`).
    """

    def __init__(self, errors: Mapping[str, Any]) -> None:
        #: Field -> :class:`tourplan.messages.Message`, for the fields whose problem is coded.
        self.messages = {k: v for k, v in errors.items() if not isinstance(v, str)}
        #: Field -> what was wrong with it, in English (a coded problem rendered).
        self.errors = {k: v if isinstance(v, str) else v.render("en") for k, v in errors.items()}
        parts = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
        super().__init__(f"invalid request: {parts}")

    def text(self, name: str, lang: str = "zh") -> str:
        """The problem of field *name* in *lang* when it is coded, else as given."""
        m = self.messages.get(name)
        return str(m.render(lang)) if m is not None else self.errors[name]


def error_text(exc: Exception, lang: str = "zh") -> str:
    """An error in *lang* when it is coded, else as its text (the web and the command line both show this).

    A place that cannot be found, a refusal and a request's field problems
    carry :class:`~tourplan.messages.Message` codes; anything else is shown
    as its text.

    Examples
    --------
    >>> from tourplan.messages import Message
    >>> exc = InfeasibleRequestError.coded(Message("place_empty"))
    >>> error_text(exc, "zh"), error_text(exc, "en")
    ('请输入一个地点。', 'Please enter a place.')
    >>> error_text(ValueError("plain"), "zh")
    'plain'
    """
    from tourplan.messages import Message

    message = getattr(exc, "message", None)
    if isinstance(message, Message):
        return message.render(lang)
    if isinstance(exc, InfeasibleRequestError):
        return exc.text(lang)
    if isinstance(exc, RequestValidationError):
        return "; ".join(
            exc.text(k, lang) if k in exc.messages else f"{k}: {exc.errors[k]}" for k in exc.errors
        )
    return str(exc)
