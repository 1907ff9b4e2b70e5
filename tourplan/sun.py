"""Sunrise and sunset in Jiaozuo (astral), in minutes after local midnight."""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from astral import LocationInfo
from astral.sun import sun

if TYPE_CHECKING:
    import datetime as dt

__all__ = ["FIRST_DATE", "JIAOZUO", "LAST_DATE", "TZ", "daylight", "plannable"]

TZ = ZoneInfo("Asia/Shanghai")
#: The municipal seat (WGS-84, see data/pois.csv row jiaozuo_municipal_government).
JIAOZUO = LocationInfo("Jiaozuo", "China", "Asia/Shanghai", 35.2164, 113.2355)
#: Dates the planners accept (astral overflows near year 1 and 9999; opening
#: hours and holiday calendars mean nothing centuries away).
FIRST_DATE = _dt.date(2000, 1, 1)
LAST_DATE = _dt.date(2099, 12, 31)


def plannable(day: dt.date) -> bool:
    """Whether *day* lies in ``FIRST_DATE..LAST_DATE``.

    Examples
    --------
    >>> import datetime as dt
    >>> plannable(dt.date(2026, 5, 1)), plannable(dt.date(1, 1, 1))
    (True, False)
    """
    return FIRST_DATE <= day <= LAST_DATE


@lru_cache(maxsize=512)
def daylight(day: dt.date, lat: float = JIAOZUO.latitude, lon: float = JIAOZUO.longitude) -> tuple[int, int]:
    """Sunrise and sunset of *day* at a point, in whole minutes after midnight (China time).

    Sunrise is rounded up and sunset down, so a plan inside the interval is
    in daylight.

    Examples
    --------
    >>> import datetime as dt
    >>> rise, set_ = daylight(dt.date(2026, 6, 21))
    >>> f"{set_ // 60}:{set_ % 60:02d}"
    '19:44'
    >>> daylight(dt.date(2026, 12, 21))[1] < daylight(dt.date(2026, 6, 21))[1]
    True
    """
    loc = LocationInfo("site", "China", "Asia/Shanghai", lat, lon)
    s = sun(loc.observer, date=day, tzinfo=TZ)
    rise = s["sunrise"]
    set_ = s["sunset"]
    rise_min = rise.hour * 60 + rise.minute + (1 if rise.second or rise.microsecond else 0)
    set_min = set_.hour * 60 + set_.minute
    return rise_min, set_min
