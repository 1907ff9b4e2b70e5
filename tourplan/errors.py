"""Exceptions and warnings raised by tourplan.

Every exception derives from :class:`TourplanError` and from the builtin it
most resembles, so callers may catch either (``except ValueError`` still
works for a validation problem).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tourplan.messages import MESSAGES, Message, render

if TYPE_CHECKING:
    from collections.abc import Mapping


class TourplanError(Exception):
    """Base class of every error tourplan raises on purpose."""


@dataclass(frozen=True)
class Issue:
    """One problem found in an input (a file, a table, a request).

    (Named ``Issue`` so that the package has one ``Problem``: the
    optimizer's, :class:`tourplan.optimize.Problem`.)

    A problem of the site data is coded (:meth:`coded`): ``message`` holds
    what was expected as a :class:`tourplan.messages.Message`, so that a page
    or the command line says it in its user's language (:meth:`text`);
    ``expected`` is its English sentence.

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
        What was expected instead, in plain (English) words.
    message
        ``expected`` as a message code and its parameters, when coded.
    value_message
        ``value`` as a message, when it describes the value (``"3 fields"``)
        rather than quotes it.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str
    message: Message | None = None
    value_message: Message | None = None

    @classmethod
    def coded(
        cls, file: str, row: int | None, column: str | None, value: str | Message | None, expected: Message
    ) -> Issue:
        """The problem with what was expected (and a described value) as messages.

        Examples
        --------
        >>> from tourplan.messages import Message
        >>> p = Issue.coded("pois.csv", 3, "lat", "95", Message("data_degrees", {"lo": -90, "hi": 90}))
        >>> print(p)
        pois.csv, row 3, column 'lat': got '95'; expected a number from -90 to 90 (WGS-84 degrees)
        >>> print(p.text("zh"))
        pois.csv，第 3 行，列 'lat'：值为 '95'；应为：-90 到 90 之间的数字（WGS-84 度）
        """
        if isinstance(value, Message):
            return cls(file, row, column, value.render("en"), expected.render("en"), expected, value)
        return cls(file, row, column, value, expected.render("en"), expected)

    def expected_text(self, lang: str = "zh") -> str:
        """What was expected, in *lang* when coded (else as given)."""
        return self.expected if self.message is None else self.message.render(lang)

    def value_text(self, lang: str = "zh") -> str | None:
        """The offending value: as read, or its description in *lang*."""
        return self.value if self.value_message is None else self.value_message.render(lang)

    def text(self, lang: str = "zh") -> str:
        """The whole problem in one line: where, the value read and what was expected, in *lang*."""
        parts = [self.file]
        if self.row is not None:
            parts.append(render(Message("issue_row", {"row": self.row}), lang))
        if self.column is not None:
            parts.append(render(Message("issue_column", {"column": repr(self.column)}), lang))
        value = self.value_text(lang)
        if value is not None:
            parts.append(render(Message("issue_got", {"value": repr(value)}), lang))
        parts.append(render(Message("issue_expected", {"expected": self.expected_text(lang)}), lang))
        return "".join(parts)

    def __str__(self) -> str:
        return self.text("en")


class DataValidationError(TourplanError, ValueError):
    """An input table has one or more invalid values.

    ``problems`` holds every problem found, so a user can fix them all at once.
    Its ``str`` is English; :meth:`text` says it in Chinese or English.
    """

    def __init__(self, problems: list[Issue], what: str = "site data") -> None:
        self.problems = list(problems)
        self.what = what
        super().__init__(self.text("en"))

    def text(self, lang: str = "zh", shown: int = 5) -> str:
        """The number of problems and the first *shown* of them, in *lang*.

        Examples
        --------
        >>> from tourplan.messages import Message
        >>> exc = DataValidationError([Issue.coded("t.csv", None, None, None, Message("data_no_rows"))])
        >>> print(exc.text("zh"))
        景点数据中有 1 个问题：t.csv；应为：至少一行数据
        """
        n = len(self.problems)
        what_code = "data_in_" + self.what.replace(" ", "_")
        what: Any = Message(what_code) if what_code in MESSAGES else self.what
        sep = "。" if lang == "zh" else "; "  # a problem's own parts are separated by "；"
        params = {"n": n, "what": what, "problems": sep.join(p.text(lang) for p in self.problems[:shown])}
        code = "data_problems_more" if n > shown else ("data_problem" if n == 1 else "data_problems")
        return render(Message(code, {**params, "more": n - shown}), lang)


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
    """Base class of tourplan's own warnings.

    A coded warning carries its :class:`~tourplan.messages.Message` as
    ``message`` (its ``str`` is the English sentence), so that
    :func:`error_text` says it in Chinese or English.

    Examples
    --------
    >>> w = TourplanWarning(message=Message("data_no_rows"))
    >>> str(w), error_text(w, "zh")
    ('at least one data row', '至少一行数据')
    """

    def __init__(self, *args: object, message: Message | None = None) -> None:
        super().__init__(*(args or ([] if message is None else [message.render("en")])))
        self.message = message


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


def error_text(exc: Exception | str, lang: str = "zh") -> str:
    """An error in *lang* when it is coded, else as its text (the web and the command line both show this).

    A place that cannot be found, a refusal, a request's field problems and
    the problems of a data file carry :class:`~tourplan.messages.Message`
    codes, as do tourplan's warnings; anything else (a warning's text, say)
    is shown as its text.

    Examples
    --------
    >>> from tourplan.messages import Message
    >>> exc = InfeasibleRequestError.coded(Message("place_empty"))
    >>> error_text(exc, "zh"), error_text(exc, "en")
    ('请输入一个地点。', 'Please enter a place.')
    >>> error_text(ValueError("plain"), "zh")
    'plain'
    """
    if isinstance(exc, str):
        return exc
    message = getattr(exc, "message", None)
    if isinstance(message, Message):
        return message.render(lang)
    if isinstance(exc, InfeasibleRequestError | DataValidationError):
        return exc.text(lang)
    if isinstance(exc, RequestValidationError):
        return "; ".join(
            exc.text(k, lang) if k in exc.messages else f"{k}: {exc.errors[k]}" for k in exc.errors
        )
    return str(exc)
