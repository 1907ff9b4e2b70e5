"""Opening hours in OpenStreetMap ``opening_hours`` syntax.

Parsing and evaluation are done by ``opening-hours-py`` (the Rust
``opening-hours`` crate), which implements the OSM specification.  This module
turns an expression into the open intervals of one calendar day, in minutes
after midnight, which is what the planners need, and into words a visitor
reads (:func:`summarize_hours` gives the structure, :func:`describe_hours`
the Chinese or English sentence).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import opening_hours

from tourplan.messages import Name

__all__ = [
    "HoursError",
    "HoursRule",
    "HoursSummary",
    "check_hours",
    "describe_hours",
    "hours_name",
    "open_intervals",
    "summarize_hours",
    "weekday_name",
]


class HoursError(ValueError):
    """An opening_hours expression that cannot be parsed."""


# The package's type stubs do not declare its parser error.
_PARSE_ERRORS: tuple[type[BaseException], ...] = (ValueError, getattr(opening_hours, "ParserError", ValueError))


@lru_cache(maxsize=1024)
def _parse(expr: str) -> opening_hours.OpeningHours:
    try:
        return opening_hours.OpeningHours(expr)
    except _PARSE_ERRORS as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        msg = f"not a valid OpenStreetMap opening_hours value: {expr!r} ({first})"
        raise HoursError(msg) from None


def check_hours(expr: str) -> None:
    """Raise :class:`HoursError` unless *expr* parses.

    Examples
    --------
    >>> check_hours("Tu-Su 09:00-17:00; Mo off")
    >>> check_hours("sometimes")
    Traceback (most recent call last):
    ...
    tourplan.hours.HoursError: not a valid OpenStreetMap opening_hours value: 'sometimes' ...
    """
    _parse(expr)


@lru_cache(maxsize=8192)
def open_intervals(expr: str, day: dt.date) -> tuple[tuple[int, int], ...]:
    """Open intervals of *day* in minutes after midnight.

    Parameters
    ----------
    expr
        An OSM opening_hours expression. An empty string means "always open".
    day
        The calendar date (local time, Asia/Shanghai).

    Returns
    -------
    tuple of (start, end)
        Sorted, disjoint intervals; ``end`` may be 1440 for "until midnight".
        An empty tuple means closed all day. "Unknown" states count as closed.

    Examples
    --------
    >>> open_intervals("Tu-Su 09:00-11:00,14:00-17:00; Mo off", dt.date(2026, 10, 6))
    ((540, 660), (840, 1020))
    >>> open_intervals("Tu-Su 09:00-17:00; Mo off", dt.date(2026, 10, 5))
    ()
    """
    if not expr.strip():
        return ((0, 24 * 60),)
    return _day_intervals(_parse(expr), day)


def _day_intervals(oh: opening_hours.OpeningHours, day: dt.date) -> tuple[tuple[int, int], ...]:
    """Open intervals of *day* (uncached; see :func:`open_intervals`)."""
    start = dt.datetime.combine(day, dt.time())
    end = start + dt.timedelta(days=1)
    out: list[tuple[int, int]] = []
    for a, b, state, _comment in oh.intervals(start, end):
        if state != opening_hours.State.OPEN:
            continue
        a_min = max(0, int((a - start).total_seconds() // 60))
        b_min = 24 * 60 if b is None else min(24 * 60, int((b - start).total_seconds() // 60))
        if b_min <= a_min:
            continue
        if out and out[-1][1] >= a_min:
            out[-1] = (out[-1][0], max(out[-1][1], b_min))
        else:
            out.append((a_min, b_min))
    return tuple(out)


# ---------------------------------------------------------------------------
# Opening hours in words

#: The year whose calendar :func:`summarize_hours` reads; rules tied to other
#: years (``2027 Jan 01 off``) are not seen.
REFERENCE_YEAR = 2026
_DAY = 24 * 60
_HOLIDAY_RE = re.compile(r"\b[PS]H\b")

Intervals = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class HoursRule:
    """The same hours on some weekdays of some months.

    Attributes
    ----------
    months
        Month numbers (1-12) the rule holds in, ascending.
    weekdays
        Weekdays (0 = Monday ... 6 = Sunday), ascending.
    intervals
        Open intervals in minutes after midnight; empty means closed.
    """

    months: tuple[int, ...]
    weekdays: tuple[int, ...]
    intervals: Intervals


@dataclass(frozen=True, slots=True)
class HoursSummary:
    """Opening hours as a few rules (the structure behind :func:`describe_hours`).

    Attributes
    ----------
    rules
        Rules in calendar order: by first month, then open before closed,
        then by first weekday.
    irregular
        Some dates (one-off closures, date ranges) differ from their month's
        weekly pattern; the rules give the usual week.
    holidays
        The expression has a rule for public or school holidays (``PH``,
        ``SH``).  The evaluator has no Chinese holiday calendar, so such
        rules never show in the week; the words say holidays differ.
    """

    rules: tuple[HoursRule, ...]
    irregular: bool = False
    holidays: bool = False

    @property
    def always_open(self) -> bool:
        """Open round the clock on every day."""
        return bool(self.rules) and all(r.intervals == ((0, _DAY),) for r in self.rules)

    @property
    def seasonal(self) -> bool:
        """The weekly pattern changes with the month."""
        return len({r.months for r in self.rules}) > 1


def _week_of(year: int, month: int) -> list[dt.date]:
    """Days 8-14 of a month: each weekday once, ordered Monday first."""
    days = [dt.date(year, month, d) for d in range(8, 15)]
    return sorted(days, key=dt.date.weekday)


@lru_cache(maxsize=256)
def summarize_hours(spec: str, *, year: int = REFERENCE_YEAR) -> HoursSummary:
    """Group a year's opening hours into months and weekdays with equal hours.

    The expression is evaluated, not pattern-matched, so any valid
    ``opening_hours`` value works: each month's usual week is read from its
    days 8-14, months with the same week are merged, and every day of *year*
    is compared with its month's week to flag exceptions.

    Parameters
    ----------
    spec
        An OSM opening_hours expression; empty means always open.
    year
        The calendar read.

    Returns
    -------
    HoursSummary

    Raises
    ------
    HoursError
        When *spec* does not parse.

    Examples
    --------
    >>> summarize_hours("Tu-Su 09:00-17:00; Mo off").rules  # doctest: +NORMALIZE_WHITESPACE
    (HoursRule(months=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), weekdays=(1, 2, 3, 4, 5, 6),
               intervals=((540, 1020),)),
     HoursRule(months=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), weekdays=(0,), intervals=()))

    Notes
    -----
    Evaluates 365 days plus 84 sample days once per distinct expression
    (about 20 ms); results are cached.  Comments (``"..."``) are not read,
    and ``sunrise``/``sunset`` times are the evaluator's defaults, not
    Jiaozuo's.
    """
    if not spec.strip():
        return HoursSummary((HoursRule(tuple(range(1, 13)), tuple(range(7)), ((0, _DAY),)),))
    oh = _parse(spec)
    weeks: dict[int, tuple[Intervals, ...]] = {
        m: tuple(_day_intervals(oh, d) for d in _week_of(year, m)) for m in range(1, 13)
    }
    irregular = False
    day = dt.date(year, 1, 1)
    while day.year == year:
        if _day_intervals(oh, day) != weeks[day.month][day.weekday()]:
            irregular = True
            break
        day += dt.timedelta(days=1)
    by_week: dict[tuple[Intervals, ...], list[int]] = {}
    for m, week in weeks.items():
        by_week.setdefault(week, []).append(m)
    rules: list[HoursRule] = []
    for week, months in by_week.items():
        by_hours: dict[Intervals, list[int]] = {}
        for wd, iv in enumerate(week):
            by_hours.setdefault(iv, []).append(wd)
        group = [HoursRule(tuple(months), tuple(wds), iv) for iv, wds in by_hours.items()]
        rules += sorted(group, key=lambda r: (not r.intervals, r.weekdays[0]))
    return HoursSummary(tuple(rules), irregular, holidays=bool(_HOLIDAY_RE.search(spec)))


_WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS = {
    "zh": tuple(f"{m}月" for m in range(1, 13)),
    "en": tuple(calendar.month_abbr[m] for m in range(1, 13)),
}
# Words of the sentence: (zh, en).
_WORDS = {
    "always": ("全天开放", "open 24 hours"),
    "daily": ("每天", "daily"),
    "all_day": ("全天开放", "open 24 hours"),
    "overnight": ("{a}–次日{b}", "{a}–{b} (next day)"),
    "closed": ("{days}休息", "closed {days}"),
    "closed_always": ("不开放", "closed"),
    "range": ("{a}至{b}", "{a}–{b}"),
    "range_wrap": ("{a}至次年{b}", "{a}–{b}"),
    "list": ("、", ", "),
    "times": ("、", ", "),
    "rules": ("，", "; "),
    "season": ("{months}：{text}", "{months}: {text}"),
    "seasons": ("；", ". "),
    "irregular": ("（部分日期除外）", " (some dates differ)"),
    "holidays": ("（节假日时间另定）", " (different on public holidays)"),
}


def _word(key: str, lang: str) -> str:
    return _WORDS[key][0 if lang == "zh" else 1]


def _spans(items: tuple[int, ...], names: tuple[str, ...], lang: str, *, wrap: str = "range") -> str:
    """Consecutive runs of three or more as ranges, the rest listed.

    The names are a cycle (weekdays, months): a run may go on past the last
    name to the first (Sat-Mon, Nov-Mar); *wrap* names the range word then.
    """
    n = len(names)
    runs: list[list[int]] = []
    for i in items:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == n - 1:
        runs[0] = runs.pop() + runs[0]
        runs.append(runs.pop(0))
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            key = wrap if run[0] > run[-1] else "range"
            parts.append(_word(key, lang).format(a=names[run[0]], b=names[run[-1]]))
        else:
            parts += [names[i] for i in run]
    return _word("list", lang).join(parts)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _times(intervals: Intervals, every_day: bool, lang: str) -> str:
    """The intervals of a day; on a daily rule, after-midnight hours join the evening's."""
    if intervals == ((0, _DAY),):
        return _word("all_day", lang)
    spans = [(_clock(a), _clock(b)) for a, b in intervals]
    if every_day and len(intervals) > 1 and intervals[0][0] == 0 and intervals[-1][1] == _DAY:
        last = _word("overnight", lang).format(a=spans[-1][0], b=spans[0][1])
        return _word("times", lang).join([f"{a}–{b}" for a, b in spans[1:-1]] + [last])
    return _word("times", lang).join(f"{a}–{b}" for a, b in spans)


def _week_text(rules: list[HoursRule], lang: str) -> str:
    parts: list[str] = []
    for r in rules:
        every = len(r.weekdays) == 7
        days = _word("daily", lang) if every else _spans(r.weekdays, _WEEKDAYS[lang], lang)
        if not r.intervals:
            parts.append(_word("closed_always", lang) if every else _word("closed", lang).format(days=days))
            continue
        parts.append(f"{days} {_times(r.intervals, every, lang)}")
    return _word("rules", lang).join(parts)


def describe_hours(spec: str, lang: str = "zh") -> str:
    """Opening hours in words, in Chinese (``"zh"``) or English (``"en"``).

    Parameters
    ----------
    spec
        As for :func:`summarize_hours`, which reads it.
    lang
        ``"zh"`` or ``"en"`` (anything else is read as English).

    Returns
    -------
    str
        Weekdays as ranges (周一至周五 / Mon–Fri), closed days, seasons by
        month; never the OSM syntax itself.

    Raises
    ------
    HoursError
        As for :func:`summarize_hours`.

    Examples
    --------
    >>> describe_hours("Mo-Su 07:00-18:00"), describe_hours("Mo-Su 07:00-18:00", "en")
    ('每天 07:00–18:00', 'daily 07:00–18:00')
    >>> describe_hours("Tu-Su 09:00-17:00; Mo off", "en")
    'Tue–Sun 09:00–17:00; closed Mon'
    >>> describe_hours("24/7"), describe_hours("24/7", "en")
    ('全天开放', 'open 24 hours')
    >>> describe_hours("Apr-Oct 08:00-18:00; Nov-Mar 08:30-17:00")
    '11月至次年3月：每天 08:30–17:00；4月至10月：每天 08:00–18:00'
    >>> describe_hours("Mo-Su 17:30-02:00", "en")
    'daily 17:30–02:00 (next day)'
    """
    lang = "zh" if lang == "zh" else "en"
    summary = summarize_hours(spec)
    if summary.always_open:
        text = _word("always", lang)
    else:
        seasons: dict[tuple[int, ...], list[HoursRule]] = {}
        for r in summary.rules:
            seasons.setdefault(r.months, []).append(r)
        if len(seasons) == 1:
            text = _week_text(list(summary.rules), lang)
        else:
            text = _word("seasons", lang).join(
                _word("season", lang).format(
                    months=_spans(tuple(m - 1 for m in months), _MONTHS[lang], lang, wrap="range_wrap"),
                    text=_week_text(rules, lang),
                )
                for months, rules in seasons.items()
            )
    if summary.irregular:
        text += _word("irregular", lang)
    if summary.holidays:
        text += _word("holidays", lang)
    return text


def hours_name(spec: str) -> Name:
    """Opening hours in words in both languages (:func:`describe_hours`), for a message.

    Examples
    --------
    >>> hours_name("Tu-Su 09:00-17:00; Mo off")
    Name(zh='周二至周日 09:00–17:00，周一休息', en='Tue–Sun 09:00–17:00; closed Mon')
    """
    return Name(describe_hours(spec, "zh"), describe_hours(spec, "en"))


def weekday_name(day: dt.date) -> Name:
    """The day of the week of *day* in both languages.

    Examples
    --------
    >>> weekday_name(dt.date(2026, 10, 5))
    Name(zh='周一', en='Mon')
    """
    k = day.weekday()
    return Name(_WEEKDAYS["zh"][k], _WEEKDAYS["en"][k])
