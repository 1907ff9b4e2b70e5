"""The Chinese holiday calendar: which kind of day a date is.

The kind of day (``weekday``, ``weekend``, ``public_holiday``,
``golden_week``) picks the default visitors, segments and area shares of a
:class:`~tourplan.flow.Scenario`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DAY_TYPES", "HOLIDAYS", "MAKEUP_WORKDAYS", "DayType", "day_type"]

DayType = Literal["weekday", "weekend", "public_holiday", "golden_week"]
DAY_TYPES: tuple[str, ...] = ("weekday", "weekend", "public_holiday", "golden_week")


def _span(y: int, m: int, d: int, n: int) -> list[dt.date]:
    first = dt.date(y, m, d)
    return [first + dt.timedelta(days=k) for k in range(n)]


def _holiday_table() -> dict[dt.date, str]:
    table: dict[dt.date, str] = {}
    gw = "golden_week"
    ph = "public_holiday"
    blocks: list[tuple[list[dt.date], str]] = [
        # 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 12 Nov 2024),
        # https://m.gmw.cn/2024-11/12/content_1303894933.htm
        (_span(2025, 1, 1, 1), ph),
        (_span(2025, 1, 28, 8), gw),  # 春节
        (_span(2025, 4, 4, 3), ph),
        (_span(2025, 5, 1, 5), ph),
        (_span(2025, 5, 31, 3), ph),
        (_span(2025, 10, 1, 8), gw),  # 国庆节 + 中秋节
        # 2026: 国务院办公厅关于2026年部分节假日安排的通知 (4 Nov 2025),
        # https://politics.gmw.cn/2025-11/04/content_38391083.htm
        (_span(2026, 1, 1, 3), ph),
        (_span(2026, 2, 15, 9), gw),  # 春节
        (_span(2026, 4, 4, 3), ph),
        (_span(2026, 5, 1, 5), ph),
        (_span(2026, 6, 19, 3), ph),
        (_span(2026, 9, 25, 3), ph),
        (_span(2026, 10, 1, 7), gw),  # 国庆节
        # 2027: NOT YET PUBLISHED when written.  Projected from the rules of
        # the 2025 notice (春节 8 days from 除夕, 国庆 7 days from 1 Oct, 劳动节
        # 5 days, the others 3 days or only the day itself when it falls on a
        # Wednesday) and the lunar dates 除夕 5 Feb, 清明 5 Apr, 端午 9 Jun
        # (Wed), 中秋 15 Sep (Wed).  Replace with the State Council notice.
        (_span(2027, 1, 1, 3), ph),
        (_span(2027, 2, 5, 8), gw),
        (_span(2027, 4, 3, 3), ph),
        (_span(2027, 5, 1, 5), ph),
        (_span(2027, 6, 9, 1), ph),
        (_span(2027, 9, 15, 1), ph),
        (_span(2027, 10, 1, 7), gw),
    ]
    for days, kind in blocks:
        for d in days:
            table[d] = kind
    return table


#: Chinese public holidays 2025-2027 (date -> ``public_holiday`` or
#: ``golden_week``); sources in the code.  2027 is a projection.
HOLIDAYS: Mapping[dt.date, str] = _holiday_table()
#: Weekend days that are working days (调休上班) in the same notices.
MAKEUP_WORKDAYS: frozenset[dt.date] = frozenset(
    {
        dt.date(2025, 1, 26), dt.date(2025, 2, 8), dt.date(2025, 4, 27), dt.date(2025, 9, 28),
        dt.date(2025, 10, 11), dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28),
        dt.date(2026, 5, 9), dt.date(2026, 9, 20), dt.date(2026, 10, 10),
    }
)  # fmt: skip


def day_type(
    date: dt.date,
    holidays: Mapping[dt.date, str] | None = None,
    workdays: frozenset[dt.date] | None = None,
) -> DayType:
    """Kind of day: ``weekday``, ``weekend``, ``public_holiday`` or ``golden_week``.

    Parameters
    ----------
    date
        The calendar day.
    holidays, workdays
        Override :data:`HOLIDAYS` and :data:`MAKEUP_WORKDAYS`.

    Examples
    --------
    >>> day_type(dt.date(2026, 10, 3))
    'golden_week'
    >>> day_type(dt.date(2026, 5, 1)), day_type(dt.date(2026, 5, 9)), day_type(dt.date(2026, 5, 16))
    ('public_holiday', 'weekday', 'weekend')
    """
    table = HOLIDAYS if holidays is None else holidays
    work = MAKEUP_WORKDAYS if workdays is None else workdays
    kind = table.get(date)
    if kind in ("public_holiday", "golden_week"):
        return kind  # type: ignore[return-value]
    if date in work or date.weekday() < 5:
        return "weekday"
    return "weekend"
