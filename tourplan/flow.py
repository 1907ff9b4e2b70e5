"""Visitor-flow simulation: how a day's visitors spread over the sites.

A :class:`Scenario` says who comes on a date (how many, when and where they
arrive, what they like, the weather); :func:`simulate` plans one itinerary
per visitor segment x entry point x start-time bucket with the itinerary
planner, gives each visitor their own variant of it (start time, dwell,
skipped stops), and runs every visitor through the sites with FIFO queues
where a site is at its instantaneous capacity (LB/T 034-2014 C0).  The
:class:`FlowResult` holds arrivals, occupancy, queues and waits per site per
time slot, daily totals against C1, and capacity alerts at the LB/T 034
warning tiers (80 % yellow, 90 % orange, 100 % red).  A
:class:`CrowdForecast` built from a result feeds back into planning.

One scenario is a pure function of its inputs and the seed.

Sourced figures used for defaults (see ``shared/reference/domain.md`` s. 3)
---------------------------------------------------------------------------
* 云台山 peak day 76,600 visitors on 3 Oct 2011 (70,900 on 4 Oct), 351,300 in
  the National Day week; 5,000-space car park full by 09:00; ~90 % of
  visitors self-drive; 11,000 cars on 3 Oct (http://yts.cc/info/show.asp?id=345).
* Jiaozuo city 1,683,400 visitors, 云台山 400,300, on 1-8 Oct 2017
  (http://www.61966.com/article-59133-1.html).
* May Day 2017 (3 days): 云台山 169,700 (43,100 on 1 May), 青天河 135,800,
  神农山 73,800 (https://richsyacht.com/xwtj/toutiao/201705/649546.html).
* New Year 2022 (3 days): 云台山 69,700 (https://en.dahe.cn/2022/01-04/945571.html).
* 云台山 on 1 May 2010: over 30,000 entries between 06:00 and 13:00
  (http://taobao833.com/xwtj/toutiao/201005/416047.html).
* Mountain-area entry peak 08:00-09:30 (Huangshan, tellerreport.com
  2020-04-05) and a later peak near 11:00 (Tianzhushan, entry from 06:00,
  x9aky.com/anhui/2019/1003/1940496.html).
* Warning tiers 80/90/100 % (Lianyungang 海上云台山,
  lyg.bendibao.com/jieri/2023423/14419.shtm).
Everything else below is marked ASSUMPTION where it is set.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import time
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from tourplan import _flow_core as core
from tourplan._parse import parse_date
from tourplan.errors import InfeasibleRequestError, RequestValidationError, UnknownSiteError
from tourplan.graph import MODES
from tourplan.hours import open_intervals
from tourplan.itinerary import PACES, ItineraryRequest, fmt_time, plan_itinerary, site_score
from tourplan.limits import checkpoint

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tourplan.data import Site, SiteTable
    from tourplan.graph import SiteGraph

__all__ = [
    "ALERT_LEVELS",
    "DAY_TYPES",
    "DEFAULT_VISITORS",
    "HOLIDAYS",
    "MAKEUP_WORKDAYS",
    "Alert",
    "CrowdForecast",
    "EntryPoint",
    "FixedArrival",
    "FlowResult",
    "PlanLibrary",
    "check_sites",
    "PublicLoad",
    "Scenario",
    "Segment",
    "StopLog",
    "StopsResult",
    "day_type",
    "plot_occupancy",
    "simulate",
    "simulate_stops",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DayType = Literal["weekday", "weekend", "public_holiday", "golden_week"]
DAY_TYPES: tuple[str, ...] = ("weekday", "weekend", "public_holiday", "golden_week")
Progress = Callable[[float], None]

# ---------------------------------------------------------------------------
# Calendar


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


# ---------------------------------------------------------------------------
# Sourced defaults

#: Jiaozuo city, 1-8 Oct 2017: 1,683,400 visitors over 8 days (61966.com, above).
_CITY_GOLDEN_WEEK_DAY = round(1_683_400 / 8)
#: May Day 2017 daily mean over 云台山, 青天河 and 神农山: (169,700 + 135,800 + 73,800) / 3 (richsyacht.com).
_MAY_DAY_THREE_AREAS_DAY = round((169_700 + 135_800 + 73_800) / 3)
#: 云台山 New Year 2022: 69,700 over 3 days (dahe.cn), times 2.24, the May Day
#: 2017 ratio of the three big areas to 云台山 alone (379,300 / 169,700).
#: ASSUMPTION: an ordinary weekend is like an off-season 3-day holiday.
_WEEKEND_DAY = round(69_700 / 3 * (379_300 / 169_700))
#: ASSUMPTION (no source found): a weekday brings 40 % of a weekend.
_WEEKDAY_DAY = round(0.4 * _WEEKEND_DAY)

#: Default visitors to the district's sites per day type.
DEFAULT_VISITORS: Mapping[str, int] = {
    "golden_week": _CITY_GOLDEN_WEEK_DAY,  # 210,425
    "public_holiday": _MAY_DAY_THREE_AREAS_DAY,  # 126,433
    "weekend": _WEEKEND_DAY,  # 52,068
    "weekday": _WEEKDAY_DAY,  # 20,827
}
#: Share of the day's visitors whose day includes an area (its parent site and
#: parts), per day type; :class:`Scenario` plans enough visitors elsewhere to
#: hit it. 云台山: 400,300 of the city's 1,683,400 visitors of 1-8 Oct 2017
#: (61966.com) on Golden Week days; 169,700 of the 379,300 visitors of the three
#: big areas on May Day 2017 (richsyacht.com) on the other day types, whose
#: default visitor counts are that three-area population (or derived from it
#: with the same ratio, above).
DEFAULT_AREA_SHARES: Mapping[str, tuple[tuple[str, float], ...]] = {
    "golden_week": (("yuntai_mountain", 400_300 / 1_683_400),),  # 0.238
    "public_holiday": (("yuntai_mountain", 169_700 / 379_300),),  # 0.447
    "weekend": (("yuntai_mountain", 169_700 / 379_300),),
    "weekday": (("yuntai_mountain", 169_700 / 379_300),),
}
#: 云台山 peak days, for calibration checks: 3 Oct 2011 (yts.cc) and 1 May 2017 (richsyacht.com).
YUNTAI_PEAK_GOLDEN_WEEK = 76_600
YUNTAI_PEAK_MAY_DAY = 43_100
#: Share of visitors who self-drive (云台山, yts.cc).
SELF_DRIVE_SHARE = 0.90

#: Arrival profiles: relative weights per half hour from 06:00.
#: ``car_park``: entries from 06:00 (Tianzhushan), main peak 08:00-09:30
#: (Huangshan) with the 云台山 car park full by 09:00 (yts.cc), second peak
#: about 11:00 (Tianzhushan), most entries before 13:00 (云台山 1 May 2010).
#: The weights themselves are an ASSUMPTION shaped to those anchors.
#: ``station``: ASSUMPTION, trains spread arrivals from 07:00 to 15:00.
#: ``hotel``: ASSUMPTION, overnight guests set out 07:00-09:30.
PROFILES: Mapping[str, tuple[float, ...]] = {
    #            06:00 06:30 07:00 07:30 08:00 08:30 09:00 09:30 10:00 10:30 11:00 11:30 12:00 12:30 13:00 13:30 14:00 14:30 15:00 15:30
    "car_park": (1.0, 2.0, 4.0, 6.0, 9.0, 10.0, 9.0, 7.0, 5.0, 5.0, 5.5, 4.5, 3.0, 2.0, 1.5, 1.0, 0.8, 0.6, 0.4, 0.2),
    "station": (0.0, 0.5, 2.0, 3.0, 4.0, 4.0, 4.0, 3.5, 3.0, 3.0, 3.0, 2.5, 2.0, 2.0, 2.0, 1.5, 1.5, 1.0, 1.0, 0.5),
    "hotel": (0.0, 0.5, 3.0, 6.0, 8.0, 6.0, 3.0, 1.5, 0.5, 0.3, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
}  # fmt: skip
PROFILE_START = 6 * 60
PROFILE_STEP = 30


@dataclass(frozen=True)
class EntryPoint:
    """Where visitors enter the district: a station, a car park, a hotel.

    Attributes
    ----------
    name
        Key of the entry point.
    place
        Site id (or ``"lat,lon"``) the planner starts and ends the day at.
    share
        Share of visitors entering here.
    profile
        Name in :data:`PROFILES`, or explicit half-hourly weights from 06:00.
    mode
        How visitors entering here travel between sites.
    """

    name: str
    place: str
    share: float
    profile: str | tuple[float, ...] = "car_park"
    mode: str = "drive"

    def weights(self) -> FloatArray:
        """Normalised half-hourly arrival weights from 06:00."""
        raw = PROFILES[self.profile] if isinstance(self.profile, str) else self.profile
        w = np.asarray(raw, dtype=np.float64)
        return np.asarray(w / w.sum(), dtype=np.float64)


#: Default entry points.  Self-drive (car parks, hotels) carries 90 % of the
#: visitors (yts.cc: ~90 % self-drive); how it splits between car parks and
#: how the other 10 % split between stations is an ASSUMPTION, except that the
#: 云台山 gates (car park and hotels, 0.19) stay below the smallest sourced share
#: of visitors whose day includes 云台山 (0.238, :data:`DEFAULT_AREA_SHARES`):
#: ASSUMPTION, about four in five of those start at its gates.
DEFAULT_ENTRIES: tuple[EntryPoint, ...] = (
    # 岸上 gate area of 云台山: the 5,000-space car park (yts.cc).
    EntryPoint("yuntai_car_park", "yuntai_anshang_service_area", 0.16, "car_park", "drive"),
    EntryPoint("city_car_parks", "jiefang_district_government", 0.53, "car_park", "drive"),
    EntryPoint("qingtianhe_car_park", "qingtianhe", 0.18, "car_park", "drive"),
    EntryPoint("yuntai_hotels", "yuntai_tianjie_hotel", 0.03, "hotel", "drive"),
    EntryPoint("jiaozuo_station", "jiaozuo_station", 0.05, "station", "mixed"),
    EntryPoint("jiaozuo_west_station", "jiaozuo_west_station", 0.03, "station", "bus"),
    EntryPoint("bus_terminal", "jiaozuo_bus_terminal", 0.02, "station", "mixed"),
)


@dataclass(frozen=True)
class Segment:
    """A kind of visitor: interests, pace, and how they move.

    Attributes
    ----------
    name
        Key of the segment.
    share
        Relative share of visitors (normalised over segments).
    interests
        Theme weights as in :class:`~tourplan.itinerary.ItineraryRequest`.
    pace
        ``relaxed``, ``normal`` or ``active``.
    mode
        Transport mode, or ``None`` to use the entry point's.
    group_size
        Visitors who move together (a school class: same start, same plan,
        same dwell); 1 for individuals.
    entries
        Entry point names this segment uses (``()`` = all, by their shares).
    day_end
        Latest return, minutes after midnight.
    """

    name: str
    share: float
    interests: Mapping[str, float]
    pace: str = "normal"
    mode: str | None = None
    group_size: int = 1
    entries: tuple[str, ...] = ()
    day_end: int = 18 * 60 + 30


#: ASSUMPTION: school groups make 3 % of weekday visitors and none on
#: weekends and holidays; classes of 40 (two classes with 1 teacher per 20
#: students, domain.md s. 2, unverified) arriving by coach.
SCHOOL_SHARE: Mapping[str, float] = {
    "weekday": 0.03,
    "weekend": 0.0,
    "public_holiday": 0.0,
    "golden_week": 0.0,
}


def default_segments(kind: str) -> tuple[Segment, ...]:
    """Visitor segments of a day type (shares are an ASSUMPTION; 云台山 draws most)."""
    school = SCHOOL_SHARE.get(kind, 0.0)
    rest = 1.0 - school
    segs = [
        Segment("mountain", 0.45 * rest, {"mountain": 1.0, "nature": 0.8}, "normal"),
        Segment("family", 0.25 * rest, {"family": 1.0, "nature": 0.6, "science": 0.4}, "relaxed"),
        Segment("culture", 0.15 * rest, {"culture": 1.0, "history": 1.0, "taiji": 0.8}, "normal"),
        Segment("city", 0.15 * rest, {"shopping": 1.0, "food": 1.0, "industry": 0.5, "red": 0.5}, "relaxed"),
    ]
    if school > 0:
        segs.append(
            Segment(
                "school",
                school,
                {"science": 1.0, "history": 0.8, "red": 0.8},
                "normal",
                mode="bus",
                group_size=40,
                entries=("city_car_parks",),
                day_end=17 * 60,
            )
        )
    return tuple(segs)


@dataclass(frozen=True)
class FixedArrival:
    """A booked group at a site (e.g. from a saved study-tour plan)."""

    site_id: str
    start: float
    end: float
    count: int


_ALLOWED_KEYS = {
    "date", "day_type", "visitors", "entries", "segments", "outdoor_factor", "fixed_arrivals",
    "slot_minutes", "day_start", "day_end", "patience_minutes", "skip_probability", "dwell_cv",
    "start_jitter", "bucket_minutes", "plan_time_limit", "min_plan_share", "holidays",
    "plan_variants", "variant_share", "interest_cv", "must_see_share", "area_shares",
}  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    """Who comes on one day, and how the simulation treats them.

    Parameters
    ----------
    date
        The day simulated (opening hours and sunset are those of this date).
    day_type
        ``weekday``, ``weekend``, ``public_holiday``, ``golden_week``;
        ``None`` derives it from the date (:func:`day_type`).
    visitors
        Visitors to the district's sites that day; ``None`` takes
        :data:`DEFAULT_VISITORS` of the day type.
    entries
        Entry points; ``()`` means :data:`DEFAULT_ENTRIES`.
    segments
        Visitor segments; ``()`` means :func:`default_segments` of the day type.
    outdoor_factor
        Multiplies the value of outdoor sites when planning; below 1 on a
        rainy day (ASSUMPTION: 0.6 for steady rain).
    fixed_arrivals
        Booked groups that occupy a site from ``start`` to ``end``.
    slot_minutes
        Length of a reporting slot.
    day_start, day_end
        Reporting horizon in minutes after midnight (visitors still inside at
        ``day_end`` are counted as such).
    patience_minutes
        A visitor who would queue longer than this skips the stop
        (ASSUMPTION: 120 min).
    skip_probability
        Chance that a visitor leaves out a planned stop (ASSUMPTION: 5 %).
    dwell_cv
        Coefficient of variation of the gamma-distributed dwell around the
        planned visit length (ASSUMPTION: 0.3).
    bucket_minutes
        Width of the start-time buckets that share one plan; a visitor
        follows the plan of their bucket, shifted to their own start.
    plan_time_limit
        Optimizer time per plan (seconds).
    min_plan_share
        Segment x entry x bucket cells with a smaller share of visitors
        borrow the plan of the nearest planned bucket.
    plan_variants
        Most plan variants per segment x entry x bucket cell.  Variant 0 is
        the segment's own plan from the bucket centre; the others differ in
        optimizer seed, planned start within the bucket, interest weights
        (see ``interest_cv``) and, for a share ``must_see_share`` of them, a
        must-see site drawn from the segment's best-matching sites.  Units
        of a cell pick one of its variants uniformly, so every variant
        carries about the same share of the cell's visitors.
    variant_share
        A cell gets one variant per this share of all visitors (expected,
        from the shares and profiles), between 1 and ``plan_variants``; so
        the plan library depends on the shares, never on the number of
        visitors or the seed.
    interest_cv
        Coefficient of variation of the gamma noise multiplying each theme
        weight of the segment in variants 1 and up (ASSUMPTION: 0.4).
    must_see_share
        Share of variants 1 and up that add a must-see (ASSUMPTION: 1/3).
    area_shares
        ``(area site id, share)`` pairs: the share of the day's visitors whose
        day includes the area (the site and its parts). Visitors who enter at
        the area keep it; of the plan variants of everyone else, a stable
        share leaves the area out, so that the expected share is met if every
        other plan would include it (fewer otherwise: the shares are a cap on
        the planners' pull, which sends most visitors to the best-scored
        area). ``None``: :data:`DEFAULT_AREA_SHARES` of the day type; ``()``:
        no such lever.
    """

    date: dt.date
    day_type: str | None = None
    visitors: int | None = None
    entries: tuple[EntryPoint, ...] = ()
    segments: tuple[Segment, ...] = ()
    outdoor_factor: float = 1.0
    fixed_arrivals: tuple[FixedArrival, ...] = ()
    slot_minutes: int = 15
    day_start: int = 6 * 60
    day_end: int = 24 * 60
    patience_minutes: float = 120.0
    skip_probability: float = 0.05
    dwell_cv: float = 0.3
    bucket_minutes: int = 90
    plan_time_limit: float = 0.015
    min_plan_share: float = 0.002
    plan_variants: int = 8
    variant_share: float = 0.004
    interest_cv: float = 0.4
    must_see_share: float = 1 / 3
    area_shares: tuple[tuple[str, float], ...] | None = None
    holidays: Mapping[dt.date, str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.date, dt.date):
            errors["date"] = f"expected a date YYYY-MM-DD, got {self.date!r}"
        if self.day_type is not None and self.day_type not in DAY_TYPES:
            errors["day_type"] = f"expected one of {', '.join(DAY_TYPES)}, got {self.day_type!r}"
        if self.visitors is not None and not (
            isinstance(self.visitors, int) and 0 <= self.visitors <= 20_000_000
        ):
            errors["visitors"] = f"expected a whole number from 0 to 20,000,000, got {self.visitors!r}"
        if not (math.isfinite(self.outdoor_factor) and 0 <= self.outdoor_factor <= 2):
            errors["outdoor_factor"] = f"expected a number from 0 to 2, got {self.outdoor_factor!r}"
        if not (isinstance(self.slot_minutes, int) and self.slot_minutes in (5, 10, 15, 20, 30, 60)):
            errors["slot_minutes"] = f"expected 5, 10, 15, 20, 30 or 60, got {self.slot_minutes!r}"
        if not 0 <= self.day_start < self.day_end <= 24 * 60:
            errors["day_end"] = (
                f"expected 00:00 <= day_start < day_end <= 24:00, got {self.day_start!r}-{self.day_end!r}"
            )
        elif isinstance(self.slot_minutes, int) and (self.day_end - self.day_start) % self.slot_minutes:
            errors["day_start"] = "the horizon day_start..day_end must be a whole number of slots"
        if not (self.patience_minutes >= 0):
            errors["patience_minutes"] = f"expected a non-negative number, got {self.patience_minutes!r}"
        if not 0 <= self.skip_probability < 1:
            errors["skip_probability"] = f"expected a probability below 1, got {self.skip_probability!r}"
        if not 0 <= self.dwell_cv <= 2:
            errors["dwell_cv"] = f"expected 0 to 2, got {self.dwell_cv!r}"
        if not 15 <= self.bucket_minutes <= 600:
            errors["bucket_minutes"] = f"expected 15 to 600 minutes, got {self.bucket_minutes!r}"
        if not 0.01 <= self.plan_time_limit <= 60:
            errors["plan_time_limit"] = f"expected 0.01 to 60 seconds, got {self.plan_time_limit!r}"
        if not 0 <= self.min_plan_share < 0.5:
            errors["min_plan_share"] = f"expected 0 to 0.5, got {self.min_plan_share!r}"
        if not (isinstance(self.plan_variants, int) and 1 <= self.plan_variants <= 64):
            errors["plan_variants"] = f"expected a whole number from 1 to 64, got {self.plan_variants!r}"
        if not 0 < self.variant_share <= 1:
            errors["variant_share"] = f"expected a share above 0 and at most 1, got {self.variant_share!r}"
        if not 0 <= self.interest_cv <= 2:
            errors["interest_cv"] = f"expected 0 to 2, got {self.interest_cv!r}"
        if not 0 <= self.must_see_share <= 1:
            errors["must_see_share"] = f"expected a share from 0 to 1, got {self.must_see_share!r}"
        for area, share in self.area_shares or ():
            if not (isinstance(area, str) and isinstance(share, int | float) and 0 <= share <= 1):
                errors["area_shares"] = f"expected site id: share from 0 to 1, got {area!r}: {share!r}"
        names = [e.name for e in self.entries_used]
        if len(set(names)) != len(names):
            errors["entries"] = "entry point names must be unique"
        for e in self.entries_used:
            if not (e.share >= 0 and math.isfinite(e.share)):
                errors["entries"] = f"{e.name}: expected a non-negative share, got {e.share!r}"
            if e.mode not in MODES:
                errors["entries"] = f"{e.name}: mode must be one of {', '.join(MODES)}, got {e.mode!r}"
            if isinstance(e.profile, str):
                if e.profile not in PROFILES:
                    errors["entries"] = (
                        f"{e.name}: profile must be one of {', '.join(PROFILES)} or a list of weights, "
                        f"got {e.profile!r}"
                    )
            elif not 0 < len(e.profile) <= 36 or any(not (w >= 0) for w in e.profile) or sum(e.profile) <= 0:
                errors["entries"] = (
                    f"{e.name}: profile must be 1 to 36 half-hourly weights from 06:00, "
                    "non-negative with a positive sum"
                )
        if sum(e.share for e in self.entries_used) <= 0:
            errors["entries"] = "the entry shares must have a positive sum"
        seg_names = [s.name for s in self.segments_used]
        if len(set(seg_names)) != len(seg_names):
            errors["segments"] = "segment names must be unique"
        for s in self.segments_used:
            if not (s.share >= 0 and math.isfinite(s.share)):
                errors["segments"] = f"{s.name}: expected a non-negative share, got {s.share!r}"
            if s.pace not in PACES:
                errors["segments"] = f"{s.name}: pace must be one of {', '.join(PACES)}, got {s.pace!r}"
            if s.mode is not None and s.mode not in MODES:
                errors["segments"] = f"{s.name}: mode must be one of {', '.join(MODES)}, got {s.mode!r}"
            if not 1 <= s.group_size <= 500:
                errors["segments"] = f"{s.name}: group_size must be 1 to 500, got {s.group_size!r}"
            unknown = [x for x in s.entries if x not in names]
            if unknown:
                errors["segments"] = f"{s.name}: unknown entry point(s) {', '.join(unknown)}"
        if sum(s.share for s in self.segments_used) <= 0:
            errors["segments"] = "the segment shares must have a positive sum"
        for f in self.fixed_arrivals:
            if not (0 <= f.start < f.end <= 24 * 60 and f.count >= 0):
                errors["fixed_arrivals"] = (
                    f"{f.site_id}: expected 0 <= start < end <= 1440 and count >= 0, got {f!r}"
                )
        if errors:
            raise RequestValidationError(errors)

    @property
    def kind(self) -> str:
        """The day type (given, or derived from the date)."""
        if self.day_type is not None:
            return self.day_type
        return day_type(self.date, self.holidays)

    @property
    def n_visitors(self) -> int:
        """Visitors of the day (given, or the default of the day type)."""
        return int(self.visitors) if self.visitors is not None else int(DEFAULT_VISITORS[self.kind])

    @property
    def area_shares_used(self) -> dict[str, float]:
        """Target share of visitors per area (given or the default of the day type)."""
        pairs = self.area_shares if self.area_shares is not None else DEFAULT_AREA_SHARES[self.kind]
        return {a: float(x) for a, x in pairs}

    @property
    def entries_used(self) -> tuple[EntryPoint, ...]:
        """The entry points (given or default)."""
        return self.entries or DEFAULT_ENTRIES

    @property
    def segments_used(self) -> tuple[Segment, ...]:
        """The segments (given or default for the day type)."""
        if self.segments:
            return self.segments
        kind = self.day_type if self.day_type in DAY_TYPES else day_type(self.date, self.holidays)
        return default_segments(kind)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build a scenario from JSON-like values.

        Raises
        ------
        RequestValidationError
            Naming every bad field.

        Examples
        --------
        >>> Scenario.from_dict({"date": "2026-10-03", "visitors": 1000}).kind
        'golden_week'
        """
        errors: dict[str, str] = {}
        kw: dict[str, Any] = {}
        for k in data:
            if k not in _ALLOWED_KEYS:
                errors[k] = "unknown field"
        if data.get("date") is None:
            errors["date"] = "missing; expected a date YYYY-MM-DD"
        elif (day := parse_date(data["date"], errors)) is not None:
            kw["date"] = day
        if data.get("day_type") is not None:
            kw["day_type"] = str(data["day_type"])
        ints = ("visitors", "slot_minutes", "bucket_minutes", "plan_variants")
        floats = (
            "outdoor_factor", "patience_minutes", "skip_probability", "dwell_cv",
            "plan_time_limit", "min_plan_share", "variant_share", "interest_cv", "must_see_share",
        )  # fmt: skip
        for name in (*ints, *floats):
            v = data.get(name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float | str):
                errors[name] = f"expected a number, got {v!r}"
                continue
            try:
                num = float(v)
            except ValueError:
                errors[name] = f"expected a number, got {v!r}"
                continue
            if name in ints:
                if not num.is_integer():
                    errors[name] = f"expected a whole number, got {v!r}"
                    continue
                kw[name] = int(num)
            else:
                kw[name] = num
        for name in ("day_start", "day_end"):
            v = data.get(name)
            if v is None:
                continue
            try:
                kw[name] = _minutes(v)
            except ValueError:
                errors[name] = f"expected a time HH:MM or minutes, got {v!r}"
        if data.get("entries") is not None:
            try:
                kw["entries"] = tuple(_entry(e) for e in data["entries"])
            except (TypeError, ValueError, KeyError) as exc:
                errors["entries"] = f"expected a list of {{name, place, share, profile, mode}}: {exc}"
        if data.get("segments") is not None:
            try:
                kw["segments"] = tuple(_segment(s) for s in data["segments"])
            except (TypeError, ValueError, KeyError) as exc:
                errors["segments"] = f"expected a list of {{name, share, interests, pace, ...}}: {exc}"
        if data.get("fixed_arrivals") is not None:
            try:
                kw["fixed_arrivals"] = tuple(_fixed(f) for f in data["fixed_arrivals"])
            except (TypeError, ValueError, KeyError) as exc:
                errors["fixed_arrivals"] = f"expected a list of [site_id, start, end, count]: {exc}"
        if data.get("area_shares") is not None:
            try:
                kw["area_shares"] = tuple(
                    (str(k), float(v)) for k, v in dict(data["area_shares"]).items()
                )
            except (TypeError, ValueError) as exc:
                errors["area_shares"] = f"expected an object of site id: share: {exc}"
        if data.get("holidays") is not None:
            try:
                kw["holidays"] = {dt.date.fromisoformat(str(k)): str(v) for k, v in data["holidays"].items()}
            except (AttributeError, ValueError) as exc:
                errors["holidays"] = f"expected an object of YYYY-MM-DD: day type: {exc}"
        if errors:
            # Check the fields that did parse too, so every problem is named at once.
            try:
                cls(**{"date": dt.date(2026, 1, 1), **kw})
            except RequestValidationError as exc:
                errors = {**exc.errors, **errors}
            raise RequestValidationError(errors)
        return cls(**kw)


def _minutes(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int):
        return v
    text = str(v).strip()
    if ":" in text:
        h, m = text.split(":")
        return int(h) * 60 + int(m)
    return int(text)


def _entry(e: Any) -> EntryPoint:
    prof = e.get("profile", "car_park")
    return EntryPoint(
        name=str(e["name"]),
        place=str(e["place"]),
        share=float(e["share"]),
        profile=prof if isinstance(prof, str) else tuple(float(x) for x in prof),
        mode=str(e.get("mode", "drive")),
    )


def _segment(s: Any) -> Segment:
    return Segment(
        name=str(s["name"]),
        share=float(s["share"]),
        interests={str(k): float(w) for k, w in dict(s.get("interests", {})).items()},
        pace=str(s.get("pace", "normal")),
        mode=None if s.get("mode") is None else str(s["mode"]),
        group_size=int(s.get("group_size", 1)),
        entries=tuple(str(x) for x in s.get("entries", ())),
        day_end=_minutes(s.get("day_end", 18 * 60 + 30)),
    )


def _fixed(f: Any) -> FixedArrival:
    if isinstance(f, Mapping):
        return FixedArrival(
            str(f["site_id"]), float(_minutes(f["start"])), float(_minutes(f["end"])), int(f["count"])
        )
    sid, a, b, n = f
    return FixedArrival(str(sid), float(_minutes(a)), float(_minutes(b)), int(n))


# ---------------------------------------------------------------------------
# Plans


@dataclass(frozen=True)
class _Plan:
    sites: tuple[str, ...]
    start: tuple[float, ...]
    dwell: tuple[float, ...]


_PLAN_WORKERS = 4
"""Most threads a :class:`PlanLibrary` plans on (fewer on a machine with fewer cores)."""


class PlanLibrary:
    """A cache of itinerary plans shared by simulations (pass it to :func:`simulate`).

    Plans depend on the date, segment, entry, bucket, variant and weather,
    never on the number of visitors or the seed, so a sweep over visitor
    counts or seeds plans only once.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else min(_PLAN_WORKERS, os.cpu_count() or 1)
        self._plans: dict[tuple[Any, ...], _Plan] = {}
        self._variants: dict[tuple[Any, ...], _Variant] = {}
        self.planned = 0
        self.seconds = 0.0

    def __len__(self) -> int:
        return len(self._plans)

    def get_many(
        self,
        jobs: Sequence[tuple[tuple[Any, ...], Callable[[], _Plan]]],
        progress: Callable[[int], None] | None = None,
    ) -> list[_Plan]:
        """Return the plans of ``jobs`` (key, maker) in order, making the missing ones in parallel.

        The optimizer releases the GIL, so up to :attr:`workers` plans are made
        at once on threads. Each plan depends only on its key (its own seed,
        planned start to end on one thread), so the result does not depend on
        the number of workers or on their timing.
        """
        missing: dict[tuple[Any, ...], Callable[[], _Plan]] = {}
        for key, make in jobs:
            if key not in self._plans and key not in missing:
                missing[key] = make
        t0 = time.perf_counter()
        done = len(jobs) - len(missing)
        if missing:
            pool = ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(missing))))
            try:
                futures = {pool.submit(make): key for key, make in missing.items()}
                for fut in as_completed(futures):
                    self._plans[futures[fut]] = fut.result()
                    done += 1
                    checkpoint()  # the wall clock of the caller's budget (tourplan.limits), if any
                    if progress is not None:
                        progress(done)
            finally:  # on an error (a spent budget), plans not started yet are dropped
                pool.shutdown(wait=True, cancel_futures=True)
        self.seconds += time.perf_counter() - t0
        self.planned += len(missing)
        if progress is not None:
            progress(len(jobs))
        return [self._plans[key] for key, _ in jobs]

    def variant(self, key: tuple[Any, ...], make: Callable[[], _Variant]) -> _Variant:
        """Return the cached variant description for ``key``, making it first if needed."""
        var = self._variants.get(key)
        if var is None:
            var = make()
            self._variants[key] = var
        return var


class _Weather:
    """A planner hook that scales the value of outdoor sites (rain)."""

    def __init__(self, sites: SiteTable, factor: float) -> None:
        self._outdoor = {s.id for s in sites if not s.indoor}
        self._factor = factor

    def adjust_scores(
        self,
        nodes: Sequence[str],
        scores: FloatArray,
        service: FloatArray,
        route_windows: Mapping[tuple[int, int], tuple[tuple[float, float], ...]],
        dates: Sequence[dt.date],
    ) -> FloatArray:
        out = np.array(scores, dtype=np.float64)
        for i, sid in enumerate(nodes):
            if sid in self._outdoor:
                out[i] *= self._factor
        return out

    def label(self, site_id: str, start_minutes: float, date: dt.date) -> str | None:
        return None


@dataclass(frozen=True)
class _Variant:
    """How one plan variant differs from the segment's own plan."""

    day_start: int
    seed: int
    interests: tuple[tuple[str, float], ...]
    must_see: tuple[str, ...]
    time_limit: float
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class _AreaLever:
    """Leave ``members`` (an area and its parts) out of a share ``leave_out`` of plan variants."""

    area: str
    members: tuple[str, ...]
    leave_out: float


def _area_levers(
    scenario: Scenario,
    sites: SiteTable,
    entries: Sequence[EntryPoint],
    cell_key: Sequence[tuple[int, int]],
    cell_mass: FloatArray,
) -> dict[int, tuple[_AreaLever, ...]]:
    """Per entry point: the levers of the areas it is not in (see ``Scenario.area_shares``).

    With ``E`` the expected share of visitors who enter inside the area and
    ``s`` its target share, the plans of everyone else leave the area out with
    probability ``1 - (s - E) / (1 - E)`` (clipped to 0..1): the target if all
    their other plans would include it.
    """
    out: dict[int, list[_AreaLever]] = {ei: [] for ei in range(len(entries))}
    total = float(cell_mass.sum())
    for area, share in sorted(scenario.area_shares_used.items()):
        members = (area, *sorted(s.id for s in sites if s.parent_id == area))
        inside = {ei for ei, e in enumerate(entries) if e.place in members}
        e_in = sum(float(cell_mass[c]) for c, (_, ei) in enumerate(cell_key) if ei in inside)
        e_in = e_in / total if total > 0 else 0.0
        if e_in >= 1.0:
            continue
        leave = min(1.0, max(0.0, 1.0 - (share - e_in) / (1.0 - e_in)))
        if leave <= 0.0:
            continue
        for ei in range(len(entries)):
            if ei not in inside:
                out[ei].append(_AreaLever(area, members, leave))
    return {ei: tuple(v) for ei, v in out.items()}


def _stable_seed(*parts: object) -> int:
    """A seed from values, the same in every process (unlike ``hash``)."""
    return zlib.crc32("|".join(repr(p) for p in parts).encode("utf-8"))


def _must_see_pool(
    sites: SiteTable, date: dt.date, interests: Mapping[str, float], exclude: Collection[str], k: int = 10
) -> tuple[list[str], FloatArray]:
    """The ``k`` best-matching sites open on ``date`` and their scores (weights for a must-see draw)."""
    cands: list[tuple[float, str]] = []
    for s in sites:
        if s.id in exclude or s.category in ("transport", "hotel") or s.capacity_instant <= 0:
            continue
        if not open_intervals(s.opening_hours, date):
            continue
        cands.append((site_score(s, interests), s.id))
    cands.sort(key=lambda x: (-x[0], x[1]))
    top = cands[:k]
    return [sid for _, sid in top], np.array([sc for sc, _ in top], dtype=np.float64)


def _variant(
    scenario: Scenario,
    sites: SiteTable,
    seg: Segment,
    entry: EntryPoint,
    bucket_start: int,
    k: int,
    levers: tuple[_AreaLever, ...] = (),
) -> _Variant:
    """Variant ``k`` of the plan of a segment x entry x bucket cell (0 = the segment's own plan).

    Deterministic in its arguments: the random draws come from a generator
    seeded with a stable hash of the segment, entry, bucket and ``k``; each
    area lever leaves its area out with its probability, drawn from a
    generator of its own (so the other draws do not depend on the levers).
    """
    width = scenario.bucket_minutes
    centre = int(bucket_start + width // 2)
    base = tuple(sorted((t, float(w)) for t, w in seg.interests.items()))
    exclude: list[str] = []
    for lever in levers:
        draw = np.random.default_rng(_stable_seed("area", lever.area, seg.name, entry.place, bucket_start, width, k))
        if draw.random() < lever.leave_out:
            exclude.extend(lever.members)
    if k == 0:
        return _Variant(centre, 0, base, (), scenario.plan_time_limit, tuple(exclude))
    rng = np.random.default_rng(_stable_seed(seg.name, base, entry.place, bucket_start, width, k))
    start = int(bucket_start + round(width * rng.uniform(0.1, 0.9)))
    cv = scenario.interest_cv
    if cv > 0 and base:
        shape = 1.0 / (cv * cv)
        noise = rng.gamma(shape, 1.0 / shape, len(base))
        interests = tuple((t, round(w * float(f), 3)) for (t, w), f in zip(base, noise, strict=True))
    else:
        interests = base
    must: tuple[str, ...] = ()
    if rng.random() < scenario.must_see_share:
        pool, score = _must_see_pool(sites, scenario.date, dict(interests), {entry.place, *exclude})
        if pool:
            must = (pool[int(rng.choice(len(pool), p=score / score.sum()))],)
    # Variants are many and cheap: a third of the segment plan's optimizer time.
    return _Variant(start, k, interests, must, max(0.005, scenario.plan_time_limit / 3), tuple(exclude))


def _make_plan(
    sites: SiteTable,
    graph: SiteGraph,
    scenario: Scenario,
    seg: Segment,
    entry: EntryPoint,
    var: _Variant,
) -> _Plan:
    hook = _Weather(sites, scenario.outdoor_factor) if scenario.outdoor_factor != 1.0 else None
    day_end = max(seg.day_end, var.day_start + 60)

    def request(must: tuple[str, ...]) -> ItineraryRequest:
        return ItineraryRequest(
            start_date=scenario.date,
            interests=dict(var.interests),
            day_start=var.day_start,
            day_end=min(day_end, 24 * 60),
            start=entry.place,
            pace=seg.pace,
            mode=seg.mode or entry.mode,
            must_see=must,
            exclude=var.exclude,
            time_limit=var.time_limit,
        )

    try:
        it = plan_itinerary(request(var.must_see), sites, graph, seed=var.seed, crowd=hook, polish=False)
    except (InfeasibleRequestError, RequestValidationError):
        if not var.must_see:
            return _Plan((), (), ())
        try:
            it = plan_itinerary(request(()), sites, graph, seed=var.seed, crowd=hook, polish=False)
        except (InfeasibleRequestError, RequestValidationError):
            return _Plan((), (), ())
    stops = [s for d in it.days for s in d.stops]
    return _Plan(
        tuple(s.site_id for s in stops),
        tuple(float(s.start) for s in stops),
        tuple(float(s.end - s.start) for s in stops),
    )


# ---------------------------------------------------------------------------
# Result


ALERT_LEVELS: tuple[tuple[float, str], ...] = ((1.0, "red"), (0.9, "orange"), (0.8, "yellow"))
"""LB/T 034-2014 warning tiers: share of C0 and level name."""


@dataclass(frozen=True)
class Alert:
    """A site (or a parent area) at or above a warning tier in one slot.

    ``scope`` is ``"site"`` (the site alone against its C0) or ``"area"``
    (a parent area with all its parts against the parent's C0; ``site_id``
    is then the parent's id).
    """

    site_id: str
    slot_start: int
    level: str
    ratio: float
    queue: float
    scope: str = "site"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "site_id": self.site_id,
            "scope": self.scope,
            "slot_start": fmt_time(self.slot_start),
            "level": self.level,
            "ratio": round(self.ratio, 3),
            "queue": round(self.queue, 1),
        }


def _tier_alerts(
    ids: Sequence[str], peak: IntArray, queue: FloatArray, cap: IntArray, t0: int, slot: int, scope: str
) -> list[Alert]:
    """Alerts at the LB/T 034 tiers for every row and slot with ``peak / cap`` at or above 80 %."""
    alerts: list[Alert] = []
    capf = cap.astype(np.float64)
    for i in (int(x) for x in np.flatnonzero(cap > 0)):
        r = peak[i] / capf[i]
        for j in np.flatnonzero(r >= ALERT_LEVELS[-1][0] - 1e-9):
            level = next(name for lim, name in ALERT_LEVELS if r[j] >= lim - 1e-9)
            alerts.append(Alert(ids[i], int(t0 + j * slot), level, float(r[j]), float(queue[i, j]), scope))
    alerts.sort(key=lambda a: (a.slot_start, a.site_id))
    return alerts


def _load_ratio(peak: FloatArray | IntArray, capacity: IntArray) -> FloatArray:
    """Peak occupancy over instantaneous capacity per row and slot (0 where C0 is 0)."""
    cap = capacity.astype(np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(cap > 0, peak / np.where(cap > 0, cap, 1.0), 0.0)
    return np.asarray(r, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class AreaFlow:
    """Parent areas rolled up from their parts (e.g. 云台山 and its gorges).

    An area's row counts the visitors at the parent site itself plus those
    at every site whose ``parent_id`` chain leads to it.  Arrays are
    ``(n_areas, n_slots)`` on the time axis of the :class:`FlowResult`.

    Attributes
    ----------
    area_ids
        The parent sites' ids.
    members
        Per area, the ids of the sites counted (the parent first).
    capacity_instant, capacity_daily
        The parent's C0 and C1, which LB/T 034 sets for the whole area.
    arrivals
        Arrivals at any member site in the slot (a visitor moving between
        parts arrives again).
    occupancy, peak, queue
        Mean and most visitors inside the area's sites (the per-minute sum
        over members, then the slot mean or maximum), mean visitors queueing.
    daily_visits
        Admissions at member sites over the day (a visitor of three
        gorges counts three times).
    visitors
        Distinct visitors admitted at least once at a member site.
    arrived
        Distinct visitors who reached a member site, including those who
        then gave up in every queue: what the area's gate counts, to
        compare with published daily visitor totals.
    balked
        Visitors who gave up in a member site's queue.
    alerts
        Slots at or above the LB/T 034 tiers against the parent's C0.
    """

    area_ids: tuple[str, ...]
    members: tuple[tuple[str, ...], ...]
    capacity_instant: IntArray
    capacity_daily: IntArray
    arrivals: IntArray
    occupancy: FloatArray
    peak: IntArray
    queue: FloatArray
    daily_visits: IntArray
    visitors: IntArray
    arrived: IntArray
    balked: IntArray
    alerts: tuple[Alert, ...]

    def __len__(self) -> int:
        return len(self.area_ids)

    def index(self, area_id: str) -> int:
        """Row of an area."""
        try:
            return self.area_ids.index(area_id)
        except ValueError:
            msg = f"no parent area {area_id!r} in this result; areas: {', '.join(self.area_ids) or 'none'}"
            raise UnknownSiteError(msg) from None

    def ratio(self) -> FloatArray:
        """Peak occupancy over the parent's C0 per area and slot (0 where C0 is 0)."""
        return _load_ratio(self.peak, self.capacity_instant)

    def row(self, i: int) -> dict[str, Any]:
        """JSON-ready form of area ``i`` (the same keys as a site row of :meth:`FlowResult.to_dict`)."""
        return {
            "members": list(self.members[i]),
            "occupancy": [round(float(x), 1) for x in self.occupancy[i]],
            "peak": [int(x) for x in self.peak[i]],
            "queue": [round(float(x), 1) for x in self.queue[i]],
            "arrivals": [int(x) for x in self.arrivals[i]],
            "capacity_instant": int(self.capacity_instant[i]),
            "capacity_daily": int(self.capacity_daily[i]),
            "daily_visits": int(self.daily_visits[i]),
            "visitors": int(self.visitors[i]),
            "arrived": int(self.arrived[i]),
            "balked": int(self.balked[i]),
        }


@dataclass(frozen=True)
class StopLog:
    """Every visitor stop of a run (kept when ``keep_log=True``).

    ``status``: 0 visited, 1 closed on arrival, 2 balked at the queue,
    3 skipped by choice.  Times are minutes after midnight (NaN when not
    applicable).
    """

    visitor: IntArray
    site: IntArray
    arrive: FloatArray
    admit: FloatArray
    depart: FloatArray
    status: npt.NDArray[np.int8]
    visitor_start: FloatArray
    visitor_end: FloatArray


class PublicLoad(Mapping[str, FloatArray]):
    """Visitors inside each site per slot: ``site_id -> counts`` plus the time axis.

    Attributes
    ----------
    slot_minutes
        Slot length.
    day_start
        Start of slot 0, minutes after midnight.
    """

    def __init__(self, load: Mapping[str, FloatArray], slot_minutes: int, day_start: int) -> None:
        self._load = dict(load)
        self.slot_minutes = slot_minutes
        self.day_start = day_start

    def __getitem__(self, key: str) -> FloatArray:
        return self._load[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load)

    def __len__(self) -> int:
        return len(self._load)

    @property
    def counts(self) -> dict[str, FloatArray]:
        """``site_id -> visitors per slot`` (a copy)."""
        return dict(self._load)

    def to_dict(self) -> dict[str, Any]:
        """``{counts, slot_minutes, day_start}``: what :class:`tourplan.study.PublicLoad` takes.

        Examples
        --------
        >>> PublicLoad({"a": np.array([3.0, 4.0])}, 15, 360).to_dict()
        {'counts': {'a': [3.0, 4.0]}, 'slot_minutes': 15, 'day_start': 360}
        """
        return {
            "counts": {k: [float(x) for x in v] for k, v in self._load.items()},
            "slot_minutes": self.slot_minutes,
            "day_start": self.day_start,
        }


@dataclass(frozen=True, eq=False)
class FlowResult:
    """Occupancy, queues and waits per site per slot, with totals and alerts.

    Arrays are ``(n_sites, n_slots)`` in the order of :attr:`site_ids`; slot
    ``j`` starts at ``day_start + j * slot_minutes``.

    Attributes
    ----------
    arrivals
        Visitors arriving at the site in the slot (including those who then
        balk at the queue).
    occupancy
        Mean number of visitors inside during the slot.
    peak
        Most visitors inside at any minute of the slot.
    queue
        Mean number of visitors queueing at the gate during the slot.
    mean_wait
        Mean queueing minutes of the visitors admitted who arrived in the slot.
    daily_visits
        Admissions over the day, per site.
    finished
        Visitors whose day ended (last stop left) by ``day_end``.
    inside_at_end
        Visitors still on their way or at a site at ``day_end``.
    alerts
        Site alerts (each site against its own C0).
    areas
        Parent areas rolled up from their parts, with their own alerts
        against the parent's C0 (:class:`AreaFlow`).
    """

    scenario: Scenario
    seed: int
    site_ids: tuple[str, ...]
    capacity_instant: IntArray
    capacity_daily: IntArray
    slot_minutes: int
    day_start: int
    arrivals: IntArray
    occupancy: FloatArray
    peak: IntArray
    queue: FloatArray
    mean_wait: FloatArray
    daily_visits: IntArray
    balked: IntArray
    closed: IntArray
    alerts: tuple[Alert, ...]
    visitors: int
    finished: int
    inside_at_end: int
    plans: int
    runtime: float
    plan_seconds: float
    areas: AreaFlow
    log: StopLog | None = field(default=None, repr=False)

    @property
    def n_slots(self) -> int:
        """Number of slots."""
        return int(self.occupancy.shape[1])

    @property
    def slot_starts(self) -> IntArray:
        """Start of each slot, minutes after midnight."""
        return self.day_start + self.slot_minutes * np.arange(self.n_slots, dtype=np.int64)

    def index(self, site_id: str) -> int:
        """Row of a site."""
        try:
            return self.site_ids.index(site_id)
        except ValueError:
            msg = f"no site {site_id!r} in this result"
            raise UnknownSiteError(msg) from None

    def ratio(self) -> FloatArray:
        """Peak occupancy over C0 per site and slot (0 where C0 is 0)."""
        return _load_ratio(self.peak, self.capacity_instant)

    def busiest(self, k: int = 6) -> list[str]:
        """The ``k`` sites with the highest peak share of C0 (then most visits)."""
        r = self.ratio().max(axis=1)
        order = np.lexsort((-self.daily_visits, -r))
        return [self.site_ids[i] for i in order[:k] if self.daily_visits[i] > 0]

    def public_load(self, *, areas: bool = True) -> PublicLoad:
        """Visitors inside each site per slot, for the study-tour planner.

        Parameters
        ----------
        areas
            Give a parent area's row (e.g. ``yuntai_mountain``) the whole
            area's peak (parent plus parts, :attr:`areas`), since the
            parent's C0 is set for the whole area; ``False`` gives the
            visitors at the parent site alone.

        Returns
        -------
        PublicLoad
            ``site_id -> peak visitors inside per slot`` with ``slot_minutes``
            and ``day_start``; :meth:`PublicLoad.to_dict` is the form
            :class:`tourplan.study.PublicLoad` and the study request take.
        """
        load = {sid: self.peak[i].astype(np.float64) for i, sid in enumerate(self.site_ids)}
        if areas:
            for a, aid in enumerate(self.areas.area_ids):
                load[aid] = self.areas.peak[a].astype(np.float64)
        return PublicLoad(load, self.slot_minutes, self.day_start)

    def summary(self) -> str:
        """Short human-readable description."""
        lines = [
            f"{self.scenario.date.isoformat()} ({self.scenario.kind}): {self.visitors:,} visitors, "
            f"{self.finished:,} finished, {self.inside_at_end:,} still out at {fmt_time(self.scenario.day_end)}; "
            f"{len(self.alerts)} alert slots; {self.plans} plans; {self.runtime:.2f} s "
            f"({self.plan_seconds:.2f} s planning)"
        ]
        r = self.ratio()
        for sid in self.busiest(8):
            i = self.index(sid)
            j = int(np.argmax(r[i]))
            lines.append(
                f"  {sid:32} peak {int(self.peak[i, j]):>7,} / C0 {int(self.capacity_instant[i]):>7,} "
                f"({r[i, j]:.0%}) at {fmt_time(self.day_start + j * self.slot_minutes)}; "
                f"{int(self.daily_visits[i]):,} visits / C1 {int(self.capacity_daily[i]):,}; "
                f"max queue {self.queue[i].max():.0f}, max mean wait {np.nanmax(np.r_[self.mean_wait[i], 0.0]):.0f} min"
            )
        ar = self.areas.ratio()
        for a, aid in enumerate(self.areas.area_ids):
            if self.areas.daily_visits[a] == 0:
                continue
            j = int(np.argmax(ar[a]))
            lines.append(
                f"  area {aid:27} peak {int(self.areas.peak[a, j]):>7,} / C0 {int(self.areas.capacity_instant[a]):>7,} "
                f"({ar[a, j]:.0%}) at {fmt_time(self.day_start + j * self.slot_minutes)}; "
                f"{int(self.areas.visitors[a]):,} visitors ({int(self.areas.daily_visits[a]):,} site visits) "
                f"/ C1 {int(self.areas.capacity_daily[a]):,}; {len(self.areas.members[a]) - 1} parts"
            )
        return "\n".join(lines)

    def to_dict(self, *, all_sites: bool = False, level: Literal["site", "area"] = "site") -> dict[str, Any]:
        """JSON-ready form: per site occupancy, queue and C0; parent areas; alerts; totals.

        Parameters
        ----------
        all_sites
            Keep sites nobody came to.
        level
            ``"site"``: ``sites`` has one row per site (a parent's row is the
            parent site alone).  ``"area"``: in ``sites`` a parent area's
            row is the whole area (the :attr:`areas` roll-up, against the
            parent's C0) and its parts are left out, so a flow map draws one
            marker per area.  ``areas`` and ``area_alerts`` are given either way.
        """
        if level not in ("site", "area"):
            raise RequestValidationError({"level": f"expected 'site' or 'area', got {level!r}"})
        out_sites: dict[str, Any] = {}
        area_rows = {aid: a for a, aid in enumerate(self.areas.area_ids)}
        parts = {m for ms in self.areas.members for m in ms[1:]}
        for i, sid in enumerate(self.site_ids):
            if level == "area" and sid in area_rows:
                a = area_rows[sid]
                if all_sites or self.areas.daily_visits[a] > 0 or self.areas.arrivals[a].sum() > 0:
                    out_sites[sid] = {**self.areas.row(a), "scope": "area"}
                continue
            if level == "area" and sid in parts:
                continue
            if not all_sites and self.daily_visits[i] == 0 and self.arrivals[i].sum() == 0:
                continue
            out_sites[sid] = {
                "occupancy": [round(float(x), 1) for x in self.occupancy[i]],
                "peak": [int(x) for x in self.peak[i]],
                "queue": [round(float(x), 1) for x in self.queue[i]],
                "arrivals": [int(x) for x in self.arrivals[i]],
                "mean_wait": [round(float(x), 1) for x in np.nan_to_num(self.mean_wait[i])],
                "capacity_instant": int(self.capacity_instant[i]),
                "capacity_daily": int(self.capacity_daily[i]),
                "daily_visits": int(self.daily_visits[i]),
                "balked": int(self.balked[i]),
            }
        areas = self.areas
        return {
            "date": self.scenario.date.isoformat(),
            "day_type": self.scenario.kind,
            "seed": self.seed,
            "slot_minutes": self.slot_minutes,
            "day_start": fmt_time(self.day_start),
            "visitors": self.visitors,
            "finished": self.finished,
            "inside_at_end": self.inside_at_end,
            "level": level,
            "sites": out_sites,
            "areas": {aid: areas.row(a) for a, aid in enumerate(areas.area_ids)},
            "alerts": [a.to_dict() for a in self.alerts],
            "area_alerts": [a.to_dict() for a in areas.alerts],
            "daily_alerts": [
                {
                    "site_id": sid,
                    "visits": int(self.daily_visits[i]),
                    "capacity_daily": int(self.capacity_daily[i]),
                }
                for i, sid in enumerate(self.site_ids)
                if self.capacity_daily[i] > 0 and self.daily_visits[i] > self.capacity_daily[i]
            ]
            + [
                {
                    "site_id": aid,
                    "scope": "area",
                    "visits": int(areas.visitors[a]),
                    "capacity_daily": int(areas.capacity_daily[a]),
                }
                for a, aid in enumerate(areas.area_ids)
                if areas.capacity_daily[a] > 0 and areas.visitors[a] > areas.capacity_daily[a]
            ],
        }

    def to_frames(self) -> tuple[Any, Any]:
        """Tidy tables: per site and slot, and daily totals (pandas DataFrames)."""
        import pandas as pd

        s, n = self.occupancy.shape
        slots = pd.DataFrame(
            {
                "site": np.repeat(np.array(self.site_ids, dtype=object), n),
                "slot_start": np.tile([fmt_time(x) for x in self.slot_starts], s),
                "arrivals": self.arrivals.ravel(),
                "occupancy": np.round(self.occupancy.ravel(), 2),
                "peak": self.peak.ravel(),
                "queue": np.round(self.queue.ravel(), 2),
                "mean_wait": np.round(np.nan_to_num(self.mean_wait).ravel(), 2),
                "capacity_instant": np.repeat(self.capacity_instant, n),
            }
        )
        r = self.ratio()
        daily = pd.DataFrame(
            {
                "site": list(self.site_ids),
                "visits": self.daily_visits,
                "capacity_daily": self.capacity_daily,
                "daily_ratio": np.round(
                    self.daily_visits / np.where(self.capacity_daily > 0, self.capacity_daily, 1), 3
                ),
                "peak": self.peak.max(axis=1),
                "capacity_instant": self.capacity_instant,
                "peak_ratio": np.round(r.max(axis=1), 3),
                "balked": self.balked,
                "closed_on_arrival": self.closed,
            }
        )
        return slots, daily


# ---------------------------------------------------------------------------
# Simulation


def _sample_starts(rng: np.random.Generator, weights: FloatArray, n: int) -> FloatArray:
    """Start times (minutes) from half-hourly weights from 06:00, uniform within a bin."""
    if n == 0:
        return np.zeros(0)
    bins = rng.choice(weights.shape[0], size=n, p=weights)
    return PROFILE_START + PROFILE_STEP * (bins + rng.random(n))


def check_sites(scenario: Scenario, sites: SiteTable) -> None:
    """Raise if the scenario names a place that is not in ``sites`` (checked before a run is queued).

    Raises
    ------
    RequestValidationError
        Naming ``entries``, ``fixed_arrivals`` or ``area_shares``.
    """
    known = {s.id for s in sites}
    errors: dict[str, str] = {}
    for e in scenario.entries_used:
        if e.place not in known:
            errors["entries"] = f"{e.name}: place {e.place!r} is not a site id"
    for f in scenario.fixed_arrivals:
        if f.site_id not in known:
            errors["fixed_arrivals"] = f"{f.site_id!r} is not a site id"
    for area in scenario.area_shares_used:
        if area not in known:
            errors["area_shares"] = f"{area!r} is not a site id"
    if errors:
        raise RequestValidationError(errors)


def simulate(
    scenario: Scenario,
    sites: SiteTable,
    graph: SiteGraph,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    plans: PlanLibrary | None = None,
    keep_log: bool = False,
) -> FlowResult:
    """Simulate one day of visitors over the sites.

    Parameters
    ----------
    scenario
        Who comes and how they behave.
    sites, graph
        The site table and its graph.
    seed
        Seed of ``numpy.random.default_rng``: same seed, same result.
    progress
        Called with the fraction done (0 to 1) now and then.
    plans
        A :class:`PlanLibrary` to reuse plans across runs (plans do not
        depend on the seed or the number of visitors).
    keep_log
        Keep every stop in :attr:`FlowResult.log` (for checks; memory heavy).

    Returns
    -------
    FlowResult

    Raises
    ------
    RequestValidationError
        When an entry place or a fixed arrival's site is not in the table.

    Notes
    -----
    Planning costs one optimizer run per segment x entry x start bucket
    holding at least ``min_plan_share`` of the visitors (about 30-60 ms each),
    independent of the number of visitors.  The simulation is then
    O(V K log V) for V visitors of K stops: one compiled event loop over a
    binary heap, and numpy aggregation.
    """
    t_begin = time.perf_counter()
    report = progress or (lambda _f: None)
    lib = plans if plans is not None else PlanLibrary()
    plan_s0 = lib.seconds
    rng = np.random.default_rng(seed)

    site_list = list(sites)
    site_ids = [s.id for s in site_list]
    sidx = {sid: i for i, sid in enumerate(site_ids)}
    n_sites = len(site_ids)
    entries = scenario.entries_used
    segments = scenario.segments_used
    check_sites(scenario, sites)

    # -- who comes: units (individuals or groups) per segment x entry --------
    n_total = scenario.n_visitors
    seg_w = np.array([s.share for s in segments], dtype=np.float64)
    seg_w /= seg_w.sum()
    seg_counts = rng.multinomial(n_total, seg_w)
    ent_share = np.array([e.share for e in entries], dtype=np.float64)
    ent_index = {e.name: k for k, e in enumerate(entries)}
    mode_names = sorted({seg.mode or e.mode for seg in segments for e in entries})
    mode_idx = {m: k for k, m in enumerate(mode_names)}
    longest = max(e.weights().shape[0] for e in entries)
    n_buckets = max(1, math.ceil(PROFILE_STEP * longest / scenario.bucket_minutes))
    edges = PROFILE_START + scenario.bucket_minutes * np.arange(n_buckets + 1)

    cell_starts: list[FloatArray] = []
    cell_sizes: list[IntArray] = []  # group size per unit
    cell_key: list[tuple[int, int]] = []
    for si, seg in enumerate(segments):
        allowed = [ent_index[x] for x in seg.entries] if seg.entries else list(range(len(entries)))
        w = np.zeros(len(entries))
        w[allowed] = ent_share[allowed]
        if w.sum() <= 0:
            w[allowed] = 1.0
        w /= w.sum()
        n_units = math.ceil(int(seg_counts[si]) / seg.group_size)
        unit_counts = rng.multinomial(n_units, w)
        first_cell = len(cell_sizes)
        for ei, nu in enumerate(unit_counts):
            cell_starts.append(_sample_starts(rng, entries[ei].weights(), int(nu)))
            cell_sizes.append(np.full(int(nu), seg.group_size, dtype=np.int64))
            cell_key.append((si, ei))
        # The segment's last group may be smaller, so the counts add up.
        excess = n_units * seg.group_size - int(seg_counts[si])
        for c in range(len(cell_sizes) - 1, first_cell - 1, -1):
            if excess and cell_sizes[c].size:
                cell_sizes[c][-1] -= excess
                break

    # -- which plan each unit follows ------------------------------------------
    unit_start = np.concatenate(cell_starts) if cell_starts else np.zeros(0)
    unit_size = np.concatenate(cell_sizes) if cell_sizes else np.zeros(0, dtype=np.int64)
    unit_cell = np.repeat(np.arange(len(cell_key)), [len(c) for c in cell_starts])
    unit_bucket = np.clip(np.searchsorted(edges, unit_start, side="right") - 1, 0, n_buckets - 1)
    # Expected share of visitors per (cell, bucket) -- from the shares and
    # profiles, not the sample, so the plans do not depend on the seed or
    # the number of visitors; cells below the threshold borrow the plan of
    # the nearest bucket that has one.
    prof_t = PROFILE_START + PROFILE_STEP * np.arange(longest)
    mass = np.zeros((len(cell_key), n_buckets))
    for c, (si, ei) in enumerate(cell_key):
        seg = segments[si]
        allowed = [ent_index[x] for x in seg.entries] if seg.entries else list(range(len(entries)))
        w_e = (
            ent_share[ei] / ent_share[allowed].sum()
            if ei in allowed and ent_share[allowed].sum() > 0
            else 0.0
        )
        prof = entries[ei].weights()
        b_of = np.clip(np.searchsorted(edges, prof_t[: prof.shape[0]], side="right") - 1, 0, n_buckets - 1)
        np.add.at(mass[c], b_of, seg_w[si] * w_e * prof)
    levers = _area_levers(scenario, sites, entries, cell_key, mass.sum(axis=1))
    threshold = scenario.min_plan_share
    bucket_map = np.tile(np.arange(n_buckets), (len(cell_key), 1))
    for c in range(len(cell_key)):
        big = np.flatnonzero(mass[c] >= threshold)
        if big.size == 0:
            big = np.array([int(np.argmax(mass[c]))])
        for b in range(n_buckets):
            if mass[c, b] < threshold:
                bucket_map[c, b] = big[np.argmin(np.abs(big - b))]
    unit_bucket = bucket_map[unit_cell, unit_bucket]
    # Plan variants per (cell, bucket), from the expected share of the bucket
    # (with the small buckets it lends its plans to), never from the sample.
    carried = np.zeros_like(mass)
    np.add.at(carried, (np.arange(len(cell_key))[:, None].repeat(n_buckets, 1), bucket_map), mass)
    n_var = np.clip(np.floor(carried / scenario.variant_share), 1, scenario.plan_variants).astype(np.int64)
    unit_var = (
        np.floor(rng.random(unit_cell.shape[0]) * n_var[unit_cell, unit_bucket]).astype(np.int64)
        if unit_cell.size
        else np.zeros(0, dtype=np.int64)
    )
    max_var = int(n_var.max()) if n_var.size else 1
    triple = np.unique((unit_cell * n_buckets + unit_bucket) * max_var + unit_var)
    needed = [
        (int(x) // (n_buckets * max_var), int(x) // max_var % n_buckets, int(x) % max_var) for x in triple
    ]

    checkpoint(len(needed) * scenario.plan_time_limit)  # all planning, charged up front (tourplan.limits)
    plan_ids: dict[tuple[int, int, int], int] = {}
    plan_day_start: list[float] = []
    jobs: list[tuple[tuple[Any, ...], Callable[[], _Plan]]] = []
    for c, b, k in needed:
        si, ei = cell_key[c]
        seg, ent = segments[si], entries[ei]
        vkey = (
            scenario.date, scenario.bucket_minutes, scenario.plan_time_limit, scenario.interest_cv,
            scenario.must_see_share, seg.name, tuple(sorted(seg.interests.items())), ent.place, int(edges[b]), k,
            levers[ei],
        )  # fmt: skip
        var = lib.variant(vkey, functools.partial(_variant, scenario, sites, seg, ent, int(edges[b]), k, levers[ei]))
        key = (
            scenario.date, seg.name, seg.pace, seg.mode or ent.mode, seg.day_end, ent.place,
            scenario.outdoor_factor, var,
        )  # fmt: skip
        jobs.append((key, functools.partial(_make_plan, sites, graph, scenario, seg, ent, var)))
        plan_ids[(c, b, k)] = len(plan_day_start)
        plan_day_start.append(float(var.day_start))
    plan_list = lib.get_many(jobs, lambda done: report(0.5 * done / max(len(jobs), 1)))
    plan_seconds = lib.seconds - plan_s0

    # -- expand units to visitors, visitors to stops --------------------------
    n_plans = len(plan_list)
    p_len = np.array([len(p.sites) for p in plan_list], dtype=np.int64)
    p_ptr = np.zeros(n_plans + 1, dtype=np.int64)
    np.cumsum(p_len, out=p_ptr[1:])
    p_site = np.array([sidx[x] for p in plan_list for x in p.sites], dtype=np.int64)
    p_start = np.array([x for p in plan_list for x in p.start], dtype=np.float64)
    p_dwell = np.array([x for p in plan_list for x in p.dwell], dtype=np.float64)
    lookup = np.full((len(cell_key), n_buckets, max_var), -1, dtype=np.int64)
    for (c, b, k), pid in plan_ids.items():
        lookup[c, b, k] = pid
    unit_plan = lookup[unit_cell, unit_bucket, unit_var] if unit_cell.size else np.zeros(0, dtype=np.int64)
    unit_entry = np.array([sidx[entries[cell_key[c][1]].place] for c in range(len(cell_key))], dtype=np.int64)
    unit_mode_c = np.array(
        [
            mode_idx[segments[cell_key[c][0]].mode or entries[cell_key[c][1]].mode]
            for c in range(len(cell_key))
        ],
        dtype=np.int64,
    )
    u_len = p_len[unit_plan] if unit_plan.size else np.zeros(0, dtype=np.int64)
    n_units_all = unit_plan.shape[0]
    # Per unit-stop randomness (dwell and skips are shared by a group).
    u_ptr = np.zeros(n_units_all + 1, dtype=np.int64)
    np.cumsum(u_len, out=u_ptr[1:])
    n_ustops = int(u_ptr[-1])
    u_stop_plan_idx = np.repeat(p_ptr[unit_plan] - u_ptr[:-1], u_len) + np.arange(n_ustops)
    mean = p_dwell[u_stop_plan_idx]
    cv = scenario.dwell_cv
    if cv > 0:
        shape = 1.0 / (cv * cv)
        us_dwell = rng.gamma(shape, 1.0, n_ustops) * (mean / shape)
    else:
        us_dwell = mean.copy()
    us_skip = rng.random(n_ustops) < scenario.skip_probability
    shift = unit_start - np.array(plan_day_start)[unit_plan] if n_units_all else np.zeros(0)
    us_earliest = p_start[u_stop_plan_idx] + np.repeat(shift, u_len)
    us_site = p_site[u_stop_plan_idx]

    # Visitors: repeat each unit by its size.
    v_unit = np.repeat(np.arange(n_units_all), unit_size)
    n_v = v_unit.shape[0]
    v_len = u_len[v_unit]
    v_ptr = np.zeros(n_v + 1, dtype=np.int64)
    np.cumsum(v_len, out=v_ptr[1:])
    n_stops = int(v_ptr[-1])
    st_from_unit = np.repeat(u_ptr[v_unit] - v_ptr[:-1], v_len) + np.arange(n_stops)
    st_site = us_site[st_from_unit]
    st_dwell = us_dwell[st_from_unit]
    st_earliest = us_earliest[st_from_unit]
    st_status = np.where(us_skip[st_from_unit], core.SKIPPED, core.PENDING).astype(np.int8)
    v_start = unit_start[v_unit]
    v_entry = unit_entry[unit_cell[v_unit]] if n_v else np.zeros(0, dtype=np.int64)
    v_mode = unit_mode_c[unit_cell[v_unit]] if n_v else np.zeros(0, dtype=np.int64)

    # Booked groups: one stop each, fixed times, no skipping.
    fixed = [f for f in scenario.fixed_arrivals if f.count > 0]
    if fixed:
        cnt = np.array([f.count for f in fixed], dtype=np.int64)
        f_site = np.repeat(np.array([sidx[f.site_id] for f in fixed], dtype=np.int64), cnt)
        f_start = np.repeat(np.array([f.start for f in fixed]), cnt)
        f_dwell = np.repeat(np.array([f.end - f.start for f in fixed]), cnt)
        nf = f_site.shape[0]
        v_ptr = np.concatenate([v_ptr, n_stops + np.arange(1, nf + 1, dtype=np.int64)])
        st_site = np.concatenate([st_site, f_site])
        st_dwell = np.concatenate([st_dwell, f_dwell])
        st_earliest = np.concatenate([st_earliest, f_start])
        st_status = np.concatenate([st_status, np.full(nf, core.PENDING, dtype=np.int8)])
        v_start = np.concatenate([v_start, f_start])
        v_entry = np.concatenate([v_entry, f_site])
        v_mode = np.concatenate([v_mode, np.zeros(nf, dtype=np.int64)])
        n_v += nf
        n_stops += nf

    # -- sites: travel, hours, capacities -------------------------------------
    travel = np.zeros((max(len(mode_names), 1), n_sites, n_sites))
    for m, k in mode_idx.items():
        travel[k] = graph.matrices(site_ids, m).minutes
    travel = np.where(np.isfinite(travel), travel, 1e6)
    hours = [open_intervals(s.opening_hours, scenario.date) for s in site_list]
    width = max(1, max((len(h) for h in hours), default=1))
    open_lo = np.zeros((n_sites, width))
    open_hi = np.zeros((n_sites, width))
    n_open = np.zeros(n_sites, dtype=np.int64)
    for i, h in enumerate(hours):
        n_open[i] = len(h)
        for q, (a, b) in enumerate(h):
            open_lo[i, q] = a
            open_hi[i, q] = b
    cap = np.array([s.capacity_instant for s in site_list], dtype=np.int64)
    cap_daily = np.array([s.capacity_daily for s in site_list], dtype=np.int64)
    per_site = np.bincount(st_site, minlength=n_sites)
    s_size = np.minimum(np.where(cap > 0, cap, 0), per_site)
    s_off = np.zeros(n_sites, dtype=np.int64)
    np.cumsum(s_size[:-1], out=s_off[1:])
    s_heap = np.zeros(max(int(s_size.sum()), 1))
    s_len = np.zeros(n_sites, dtype=np.int64)

    # -- run ---------------------------------------------------------------------
    st_arrive = np.full(n_stops, np.nan)
    st_admit = np.full(n_stops, np.nan)
    st_depart = np.full(n_stops, np.nan)
    v_k = np.zeros(n_v, dtype=np.int64)
    v_end = np.full(n_v, np.nan)
    if n_v >= 1 << core.V_BITS:
        raise RequestValidationError({"visitors": f"at most {(1 << core.V_BITS) - 1:,} visitors in one run"})
    heap = np.zeros(max(n_v, 1), dtype=np.int64)
    st_node = st_site  # site nodes are the travel matrix rows
    hsize = core.start_all(
        v_ptr, v_start, v_entry, v_mode, st_node, st_site, st_earliest, st_status, st_arrive,
        travel, open_lo, open_hi, n_open, v_k, v_end, heap,
    )  # fmt: skip
    total_events = max(int(np.count_nonzero(st_status != core.SKIPPED)), 1)
    chunk = max(200_000, total_events // 20)
    done = 0
    patience = float(scenario.patience_minutes)
    while hsize > 0:
        hsize = core.run_events(
            chunk, hsize, v_ptr, v_mode, st_node, st_site, st_dwell, st_earliest, st_status,
            st_arrive, st_admit, st_depart, travel, open_lo, open_hi, n_open, cap, s_off, s_len,
            s_heap, patience, v_k, v_end, heap,
        )  # fmt: skip
        done += chunk
        report(0.5 + 0.45 * min(1.0, done / total_events))

    result = _aggregate(
        scenario, seed, site_ids, cap, cap_daily, st_site, st_arrive, st_admit, st_depart, st_status,
        v_start, v_end, v_ptr, len(plan_list), plan_seconds, t_begin, keep_log, *_areas(site_list),
    )  # fmt: skip
    report(1.0)
    return result


def _areas(site_list: Sequence[Site]) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Parent areas of a site list: their rows, and which sites each one counts.

    A site counts in every area on its ``parent_id`` chain; a parent counts
    in its own area.  Parents missing from the list are ignored.
    """
    idx = {s.id: i for i, s in enumerate(site_list)}
    parent = [idx.get(s.parent_id, -1) if s.parent_id is not None else -1 for s in site_list]
    roots = sorted({p for p in parent if p >= 0})
    row = {p: a for a, p in enumerate(roots)}
    member = np.zeros((len(roots), len(site_list)), dtype=np.bool_)
    for i in range(len(site_list)):
        if i in row:
            member[row[i], i] = True
        p, seen = parent[i], {i}
        while p >= 0 and p not in seen:  # a cycle would be a data error; stop rather than loop
            member[row[p], i] = True
            seen.add(p)
            p = parent[p]
    return np.array(roots, dtype=np.int64), member


@dataclass(frozen=True, eq=False)
class StopsResult:
    """Occupancy and queue per site per slot from :func:`simulate_stops`."""

    occupancy: FloatArray
    queue: FloatArray
    admit: FloatArray
    depart: FloatArray
    status: npt.NDArray[np.int8]


def simulate_stops(
    start: FloatArray,
    stop_ptr: IntArray,
    stop_site: IntArray,
    stop_dwell: FloatArray,
    travel: FloatArray,
    capacity: IntArray,
    *,
    entry: IntArray | None = None,
    earliest: FloatArray | None = None,
    patience: float = math.inf,
    day_start: int = 0,
    day_end: int = 24 * 60,
    slot_minutes: int = 15,
) -> StopsResult:
    """Run given visitor paths through capacity-limited sites (no planner).

    The engine of :func:`simulate` on explicit arrays, for checks and
    reference comparisons: visitor ``v`` starts at ``start[v]`` at node
    ``entry[v]`` (default: its first site), visits ``stop_site[stop_ptr[v]:
    stop_ptr[v+1]]`` in order for ``stop_dwell`` minutes each, travelling
    ``travel[a, b]`` minutes between sites; sites are always open.

    Returns
    -------
    StopsResult
        Mean occupancy and queue per site and slot over
        ``day_start..day_end``, and each stop's admission, departure and status.
    """
    n_v = start.shape[0]
    n_sites = capacity.shape[0]
    st_site = np.asarray(stop_site, dtype=np.int64)
    n_stops = st_site.shape[0]
    v_entry = st_site[stop_ptr[:-1].clip(max=max(n_stops - 1, 0))] if entry is None else entry
    st_earliest = np.full(n_stops, -1.0) if earliest is None else earliest
    st_status = np.full(n_stops, core.PENDING, dtype=np.int8)
    st_arrive = np.full(n_stops, np.nan)
    st_admit = np.full(n_stops, np.nan)
    st_depart = np.full(n_stops, np.nan)
    tr = np.asarray(travel, dtype=np.float64)[None, :, :]
    open_lo = np.zeros((n_sites, 1))
    open_hi = np.full((n_sites, 1), 1e9)
    n_open = np.ones(n_sites, dtype=np.int64)
    cap = np.asarray(capacity, dtype=np.int64)
    per_site = np.bincount(st_site, minlength=n_sites)
    s_size = np.minimum(np.maximum(cap, 0), per_site)
    s_off = np.zeros(n_sites, dtype=np.int64)
    np.cumsum(s_size[:-1], out=s_off[1:])
    s_heap = np.zeros(max(int(s_size.sum()), 1))
    s_len = np.zeros(n_sites, dtype=np.int64)
    v_mode = np.zeros(n_v, dtype=np.int64)
    v_k = np.zeros(n_v, dtype=np.int64)
    v_end = np.full(n_v, np.nan)
    heap = np.zeros(max(n_v, 1), dtype=np.int64)
    hsize = core.start_all(
        stop_ptr, np.asarray(start, dtype=np.float64), v_entry, v_mode, st_site, st_site, st_earliest,
        st_status, st_arrive, tr, open_lo, open_hi, n_open, v_k, v_end, heap,
    )  # fmt: skip
    while hsize > 0:
        hsize = core.run_events(
            1 << 62, hsize, stop_ptr, v_mode, st_site, st_site, np.asarray(stop_dwell, dtype=np.float64),
            st_earliest, st_status, st_arrive, st_admit, st_depart, tr, open_lo, open_hi, n_open, cap,
            s_off, s_len, s_heap, float(patience), v_k, v_end, heap,
        )  # fmt: skip
    vis = st_status == core.VISITED
    inside = _count_at_minutes(st_site[vis], st_admit[vis], st_depart[vis], n_sites, day_start, day_end)
    waiting = _count_at_minutes(st_site[vis], st_arrive[vis], st_admit[vis], n_sites, day_start, day_end)
    n_slots = (day_end - day_start) // slot_minutes
    return StopsResult(
        inside.reshape(n_sites, n_slots, slot_minutes).mean(axis=2),
        waiting.reshape(n_sites, n_slots, slot_minutes).mean(axis=2),
        st_admit,
        st_depart,
        st_status,
    )


def _count_at_minutes(
    site: IntArray, start: FloatArray, end: FloatArray, n_sites: int, t0: int, t1: int
) -> IntArray:
    """Intervals ``[start, end)`` open at each integer minute ``t0..t1-1``, per site."""
    n_min = t1 - t0
    width = n_min + 1
    a = np.clip(np.ceil(start - t0), 0, width).astype(np.int64)
    b = np.clip(np.ceil(end - t0), 0, width).astype(np.int64)
    plus = np.bincount(site * (width + 1) + a, minlength=n_sites * (width + 1))
    minus = np.bincount(site * (width + 1) + b, minlength=n_sites * (width + 1))
    diff = (plus - minus).reshape(n_sites, width + 1)
    return np.asarray(np.cumsum(diff, axis=1)[:, :n_min], dtype=np.int64)


def _aggregate(
    scenario: Scenario,
    seed: int,
    site_ids: list[str],
    cap: IntArray,
    cap_daily: IntArray,
    st_site: IntArray,
    st_arrive: FloatArray,
    st_admit: FloatArray,
    st_depart: FloatArray,
    st_status: npt.NDArray[np.int8],
    v_start: FloatArray,
    v_end: FloatArray,
    v_ptr: IntArray,
    n_plans: int,
    plan_seconds: float,
    t_begin: float,
    keep_log: bool,
    area_site: IntArray,
    area_member: npt.NDArray[np.bool_],
) -> FlowResult:
    n_sites = len(site_ids)
    t0, t1 = scenario.day_start, scenario.day_end
    slot = scenario.slot_minutes
    n_min = t1 - t0
    n_slots = n_min // slot
    vis = st_status == core.VISITED
    s_v = st_site[vis]
    arr_v, adm_v, dep_v = st_arrive[vis], st_admit[vis], st_depart[vis]

    inside = _count_at_minutes(s_v, adm_v, dep_v, n_sites, t0, t1)
    waiting = _count_at_minutes(s_v, arr_v, adm_v, n_sites, t0, t1)
    occ = inside.reshape(n_sites, n_slots, slot)
    occupancy = occ.mean(axis=2)
    peak = occ.max(axis=2)
    queue = waiting.reshape(n_sites, n_slots, slot).mean(axis=2)

    came = (st_status == core.VISITED) | (st_status == core.BALKED)
    j_all = np.floor((st_arrive[came] - t0) / slot).astype(np.int64)
    ok = (j_all >= 0) & (j_all < n_slots)
    arrivals = np.bincount(st_site[came][ok] * n_slots + j_all[ok], minlength=n_sites * n_slots).reshape(
        n_sites, n_slots
    )
    j_v = np.floor((arr_v - t0) / slot).astype(np.int64)
    okv = (j_v >= 0) & (j_v < n_slots)
    flat = s_v[okv] * n_slots + j_v[okv]
    wsum = np.bincount(flat, weights=(adm_v - arr_v)[okv], minlength=n_sites * n_slots)
    wcnt = np.bincount(flat, minlength=n_sites * n_slots)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_wait = np.where(wcnt > 0, wsum / np.where(wcnt > 0, wcnt, 1), np.nan).reshape(n_sites, n_slots)
    daily = np.bincount(s_v, minlength=n_sites)
    balked = np.bincount(st_site[st_status == core.BALKED], minlength=n_sites)
    closed = np.bincount(st_site[st_status == core.CLOSED], minlength=n_sites)

    alerts = _tier_alerts(site_ids, peak, queue, cap, t0, slot, "site")

    # -- parent areas: sum the members minute by minute ----------------------
    member = area_member  # (n_areas, n_sites) bool
    n_areas = member.shape[0]
    mf = member.astype(np.int64)
    a_inside = (mf @ inside).reshape(n_areas, n_slots, slot)
    a_waiting = (mf @ waiting).reshape(n_areas, n_slots, slot)
    st_visitor = np.repeat(np.arange(v_ptr.shape[0] - 1, dtype=np.int64), np.diff(v_ptr))
    a_visitors = np.zeros(n_areas, dtype=np.int64)
    a_arrived = np.zeros(n_areas, dtype=np.int64)
    vis_visitor, came_visitor, came_site = st_visitor[vis], st_visitor[came], st_site[came]
    for a in range(n_areas):
        a_visitors[a] = np.unique(vis_visitor[member[a, s_v]]).shape[0]
        a_arrived[a] = np.unique(came_visitor[member[a, came_site]]).shape[0]
    a_peak = a_inside.max(axis=2)
    a_queue = a_waiting.mean(axis=2)
    a_cap = cap[area_site]
    area_ids = [site_ids[i] for i in area_site]
    areas = AreaFlow(
        area_ids=tuple(area_ids),
        members=tuple(
            tuple(
                site_ids[i]
                for i in [int(area_site[a])]
                + [int(x) for x in np.flatnonzero(member[a]) if x != area_site[a]]
            )
            for a in range(n_areas)
        ),
        capacity_instant=a_cap,
        capacity_daily=cap_daily[area_site],
        arrivals=mf @ arrivals,
        occupancy=a_inside.mean(axis=2),
        peak=a_peak,
        queue=a_queue,
        daily_visits=mf @ daily,
        visitors=a_visitors,
        arrived=a_arrived,
        balked=mf @ balked,
        alerts=tuple(_tier_alerts(area_ids, a_peak, a_queue, a_cap, t0, slot, "area")),
    )

    finished = int(np.count_nonzero(v_end <= t1))
    log = None
    if keep_log:
        visitor = np.repeat(np.arange(v_start.shape[0]), np.diff(v_ptr))
        log = StopLog(visitor, st_site, st_arrive, st_admit, st_depart, st_status, v_start, v_end)
    return FlowResult(
        scenario=scenario,
        seed=seed,
        site_ids=tuple(site_ids),
        capacity_instant=cap,
        capacity_daily=cap_daily,
        slot_minutes=slot,
        day_start=t0,
        arrivals=arrivals,
        occupancy=occupancy,
        peak=peak,
        queue=queue,
        mean_wait=mean_wait,
        daily_visits=daily,
        balked=balked,
        closed=closed,
        alerts=tuple(alerts),
        visitors=int(v_start.shape[0]),
        finished=finished,
        inside_at_end=int(v_start.shape[0]) - finished,
        plans=n_plans,
        runtime=time.perf_counter() - t_begin,
        plan_seconds=plan_seconds,
        areas=areas,
        log=log,
    )


# ---------------------------------------------------------------------------
# Crowd-aware planning


@dataclass(frozen=True, eq=False)
class CrowdForecast:
    """Expected crowding per site and slot, for crowd-aware itineraries.

    Implements the planner's ``crowd`` hook (see
    :func:`tourplan.itinerary.plan_itinerary`): :meth:`adjust_scores` and
    :meth:`label`.

    Parameters
    ----------
    ratio
        ``site_id -> visitors inside / C0`` per slot (peak of the slot).
    wait
        ``site_id -> mean queueing minutes`` per slot.
    slot_minutes, day_start
        The time axis: slot ``j`` starts at ``day_start + j * slot_minutes``.
    date
        The day the forecast is for; ``None`` applies it to any date.
    quiet
        Share of C0 up to which a visit keeps its full value.
    strength
        Value lost at 100 % of C0 and above (before queueing time).
    slack
        Visit starts whose value factor is within ``slack`` of the best
        feasible one are kept; the others are removed from the windows, so
        the optimizer visits when it is less crowded.
    """

    ratio: Mapping[str, FloatArray]
    wait: Mapping[str, FloatArray]
    slot_minutes: int = 15
    day_start: int = 6 * 60
    date: dt.date | None = None
    quiet: float = 0.5
    strength: float = 0.6
    slack: float = 0.1

    @classmethod
    def from_result(cls, result: FlowResult, **kwargs: Any) -> CrowdForecast:
        """Forecast from a simulation (its date, peak share of C0 and mean waits)."""
        r = result.ratio()
        ratio = {sid: r[i] for i, sid in enumerate(result.site_ids) if result.capacity_instant[i] > 0}
        wait = {sid: np.nan_to_num(result.mean_wait[i]) for i, sid in enumerate(result.site_ids)}
        return cls(ratio, wait, result.slot_minutes, result.day_start, result.scenario.date, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (round-trips through :meth:`from_dict`)."""
        return {
            "slot_minutes": self.slot_minutes,
            "day_start": self.day_start,
            "date": None if self.date is None else self.date.isoformat(),
            "ratio": {k: [round(float(x), 4) for x in v] for k, v in self.ratio.items()},
            "wait": {k: [round(float(x), 2) for x in v] for k, v in self.wait.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CrowdForecast:
        """Load a forecast saved with :meth:`to_dict`."""
        try:
            date = None if data.get("date") is None else dt.date.fromisoformat(str(data["date"]))
            return cls(
                {str(k): np.asarray(v, dtype=np.float64) for k, v in data["ratio"].items()},
                {str(k): np.asarray(v, dtype=np.float64) for k, v in data.get("wait", {}).items()},
                int(data.get("slot_minutes", 15)),
                int(data.get("day_start", 360)),
                date,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RequestValidationError({"forecast": f"expected ratio/wait per site: {exc}"}) from None

    def _applies(self, date: dt.date) -> bool:
        return self.date is None or self.date == date

    def _slot(self, minute: float) -> int:
        return int((minute - self.day_start) // self.slot_minutes)

    def ratio_at(self, site_id: str, minute: float) -> float:
        """Share of C0 expected at a site at a time (0 when unknown)."""
        r = self.ratio.get(site_id)
        j = self._slot(minute)
        if r is None or not 0 <= j < r.shape[0]:
            return 0.0
        return float(r[j])

    def wait_at(self, site_id: str, minute: float) -> float:
        """Expected queueing minutes at a site at a time."""
        w = self.wait.get(site_id)
        j = self._slot(minute)
        if w is None or not 0 <= j < w.shape[0]:
            return 0.0
        return float(w[j])

    def factor(self, site_id: str, start: float, service: float) -> float:
        """Value kept by a visit starting at ``start`` (1 = quiet).

        The crowding is the mean share of C0 over the slots the visit covers;
        value falls linearly from ``quiet`` to 100 % by ``strength``, and is
        further scaled by ``service / (service + expected wait)``.
        """
        r = self.ratio.get(site_id)
        if r is None:
            return 1.0
        j0 = self._slot(start)
        j1 = self._slot(start + max(service, 1.0) - 1e-9)
        lo, hi = max(j0, 0), min(j1, r.shape[0] - 1)
        crowd = float(r[lo : hi + 1].mean()) if hi >= lo else 0.0
        c = min(max((crowd - self.quiet) / max(1.0 - self.quiet, 1e-9), 0.0), 1.0)
        wait = self.wait_at(site_id, start)
        svc = max(service, 1.0)
        return (1.0 - self.strength * c) * svc / (svc + wait)

    def adjust_scores(
        self,
        nodes: Sequence[str],
        scores: FloatArray,
        service: FloatArray,
        route_windows: dict[tuple[int, int], tuple[tuple[float, float], ...]],
        dates: Sequence[dt.date],
    ) -> FloatArray:
        """Lower the value of crowded sites and steer visits to quieter slots.

        For each site and day the visit starts allowed by ``route_windows``
        are scanned slot by slot.  The site's score is multiplied by the best
        value factor (:meth:`factor`) it can reach, and, **in place**, its
        windows in ``route_windows`` are cut to the starts within ``slack``
        of that best, so the optimizer can only place the visit at a
        less crowded time.  The planner builds its problem from the same
        dict, so the cut takes effect.

        Returns
        -------
        numpy.ndarray
            The adjusted scores (a new array).
        """
        out = np.array(scores, dtype=np.float64)
        step = float(self.slot_minutes)
        best_by_node: dict[int, float] = {}
        for (r, idx), wins in list(route_windows.items()):
            if r >= len(dates) or not self._applies(dates[r]) or idx >= len(nodes):
                continue
            sid = nodes[idx]
            if sid not in self.ratio or not wins:
                continue
            svc = float(service[idx])
            cands: list[tuple[float, float, float]] = []  # (piece start, piece end, factor)
            for lo, hi in wins:
                j0 = math.floor((lo - self.day_start) / step) + 1
                cuts = [lo]
                x = self.day_start + j0 * step
                while x < hi:
                    cuts.append(x)
                    x += step
                cuts.append(hi)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                    cands.append((a, b, self.factor(sid, a, svc)))
            if not cands:
                continue
            best = max(f for _, _, f in cands)
            keep = [(a, b) for a, b, f in cands if f >= best - self.slack]
            merged: list[tuple[float, float]] = []
            for a, b in keep:
                if merged and a <= merged[-1][1] + 1e-9:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], b))
                else:
                    merged.append((a, b))
            route_windows[(r, idx)] = tuple(merged)
            best_by_node[idx] = max(best_by_node.get(idx, 0.0), best)
        for idx, best in best_by_node.items():
            out[idx] *= best
        return out

    def label(self, site_id: str, start_minutes: float, date: dt.date) -> str | None:
        """Expected crowd text for a visit, e.g. ``"busy (85 %)"``; ``None`` when unknown."""
        if not self._applies(date) or site_id not in self.ratio:
            return None
        r = self.ratio_at(site_id, start_minutes)
        w = self.wait_at(site_id, start_minutes)
        if r >= 0.999:
            return f"very busy — queue ~{round(w)} min" if w >= 1 else "full (100 %)"
        if r >= 0.8:
            return f"busy ({round(r * 100)} %)"
        if r >= 0.5:
            return f"moderate ({round(r * 100)} %)"
        return "quiet"


# ---------------------------------------------------------------------------
# Plot


def plot_occupancy(result: FlowResult, *, k: int = 6) -> Figure:
    """Occupancy against C0 for the ``k`` busiest sites (matplotlib, Agg).

    Returns
    -------
    matplotlib.figure.Figure
        The caller saves it (``fig.savefig(path)``).
    """
    from matplotlib.figure import Figure

    names = result.busiest(k)
    fig = Figure(figsize=(10, 2.2 * max(len(names), 1)), layout="constrained")
    axes = fig.subplots(max(len(names), 1), 1, sharex=True, squeeze=False)[:, 0]
    x = result.slot_starts / 60.0
    for ax, sid in zip(axes, names, strict=False):
        i = result.index(sid)
        ax.step(x, result.peak[i], where="post", label="peak inside", color="tab:red")
        ax.step(x, result.occupancy[i], where="post", label="mean inside", color="tab:blue")
        ax.step(x, result.queue[i], where="post", label="queue", color="tab:orange")
        c0 = int(result.capacity_instant[i])
        if c0 > 0:
            for share, style in ((1.0, "-"), (0.9, "--"), (0.8, ":")):
                ax.axhline(c0 * share, color="black", linestyle=style, linewidth=0.8)
        ax.set_title(f"{sid} (C0 {c0:,})", fontsize=9)
        ax.set_ylabel("visitors")
    axes[0].legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("hour of day")
    fig.suptitle(f"{result.scenario.date.isoformat()} ({result.scenario.kind}), {result.visitors:,} visitors")
    return fig
