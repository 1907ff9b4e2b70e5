"""Domain rules that visitor itineraries and study tours share.

Each rule is written here once, with its source or, where no source gives
it, the reason this planner uses it (a rule, not a fact).  The planners
(:mod:`tourplan.itinerary`, :mod:`tourplan.study`) and the independent
itinerary checker read them from here, so they cannot drift apart.

Times are minutes after midnight, China Standard Time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from tourplan.hours import open_intervals
from tourplan.tickets import ticket_payer

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Collection, Iterable, Sequence

    from tourplan.site import Site, SiteTable

__all__ = [
    "FOOD",
    "LONG_VISIT_LATEST_START",
    "LONG_VISIT_LUNCH",
    "LONG_VISIT_LUNCH_EXTRA",
    "LUNCH_DAY_MARGIN",
    "LUNCH_EARLIEST",
    "LUNCH_LATEST_END",
    "LUNCH_LATEST_START",
    "LUNCH_MINUTES",
    "DECAY",
    "NOT_SIGHTS",
    "PASS_THROUGH",
    "diminishing",
    "entry_price",
    "is_outdoor_mountain",
    "lunch_applies",
    "lunch_groups",
    "open_for_lunch",
    "paid_ticket",
    "serves_lunch",
    "theme_match",
    "visit_windows",
]

K = TypeVar("K")

# ---------------------------------------------------------------------------
# Categories

#: Categories of places to pass through (stations, hotels): the site table
#: lists them as starts and ends of days, and no planner visits them.
PASS_THROUGH: frozenset[str] = frozenset({"transport", "hotel"})
#: Categories that are not sights, which a visitor does not pick as a
#: must-see (:mod:`tourplan.sights`): places to pass through and ``other``
#: rows (government seats, a care home).  The planners still plan an
#: ``other`` row that matches a theme (longbai_wellness_city, ``family``);
#: leaving those out too would change plans, so it is not done here.
NOT_SIGHTS: frozenset[str] = PASS_THROUGH | {"other"}
#: The category of the sites that serve a lunch stop.
FOOD = "food"


def is_outdoor_mountain(site: Site) -> bool:
    """Whether a visit is outdoors in the mountains, where it must end by sunset.

    A rule of this planner (sunset from astral, :mod:`tourplan.sun`): no
    outdoor mountain stop after dark, for safety; indoor sites keep their
    opening hours.
    """
    return (site.category == "mountain" or "mountain" in site.themes) and not site.indoor


# ---------------------------------------------------------------------------
# Lunch: a rule of this planner, not a sourced fact (a lunch stop at a
# restaurant on every day that spans lunch, as eCOMPASS plans it: domain.md
# section 1; the window is the usual Chinese lunch time)

#: A lunch stop starts no earlier than this ...
LUNCH_EARLIEST = 11 * 60 + 30
#: ... and no later than this ...
LUNCH_LATEST_START = 13 * 60
#: ... so lunch is over by this time.
LUNCH_LATEST_END = 13 * 60 + 30
#: Minutes a lunch stop takes at least.
LUNCH_MINUTES = 50
#: A day spans lunch when it starts by LUNCH_EARLIEST and runs this long past
#: LUNCH_LATEST_END (a shorter day ends around lunch: no stop is forced).
LUNCH_DAY_MARGIN = 30
#: A visit at least this long in a mountain area includes lunch inside the
#: area (the big scenic areas have restaurants at their service centres): it
#: counts as the day's lunch when it spans the lunch hours ...
LONG_VISIT_LUNCH = 240
#: ... and is this much longer for it ...
LONG_VISIT_LUNCH_EXTRA = 30
#: ... and starts by this time.
LONG_VISIT_LATEST_START = 11 * 60 + 45


def lunch_applies(wanted: bool, day_start: float, day_end: float) -> bool:
    """Whether a day needs a lunch stop: lunch is wanted and the day spans it.

    Examples
    --------
    >>> lunch_applies(True, 8 * 60, 18 * 60), lunch_applies(True, 8 * 60, 13 * 60)
    (True, False)
    """
    return wanted and day_start <= LUNCH_EARLIEST and day_end >= LUNCH_LATEST_END + LUNCH_DAY_MARGIN


def open_for_lunch(site: Site, day: dt.date) -> bool:
    """Whether the site serves lunch hours on ``day``: open by the latest lunch start, still open at the earliest lunch's end.

    (The visit windows then place the stop, or find none.)
    """
    return any(
        a <= LUNCH_LATEST_START and b >= LUNCH_EARLIEST + LUNCH_MINUTES
        for a, b in open_intervals(site.opening_hours, day)
    )


def serves_lunch(site: Site, days: Iterable[dt.date]) -> bool:
    """Whether the site is a food site open for lunch on one of ``days``."""
    return site.category == FOOD and any(open_for_lunch(site, d) for d in days)


def lunch_groups(food: Collection[K], long_visits: Collection[K] = ()) -> list[tuple[frozenset[K], int, int]]:
    """The lunch rule of a day as visit groups ``(members, least, most)``.

    At most one lunch stop at a food site a day, and lunch somewhere: at a
    food site or inside a long mountain visit (which may be followed by a
    food stop, hence at most two of either).  With no food site and no long
    visit there is no rule (the planner warns instead).

    Examples
    --------
    >>> lunch_groups({"a", "b"}) == [(frozenset({"a", "b"}), 0, 1), (frozenset({"a", "b"}), 1, 2)]
    True
    """
    out: list[tuple[frozenset[K], int, int]] = []
    if not food and not long_visits:
        return out
    if food:
        out.append((frozenset(food), 0, 1))
    out.append((frozenset(food) | frozenset(long_visits), 1, 2))
    return out


# ---------------------------------------------------------------------------
# Visit windows


def visit_windows(
    site: Site,
    day: dt.date,
    service: float,
    *,
    day_start: float,
    sunset: float,
    lunch: bool = False,
    long_lunch: bool = False,
) -> tuple[tuple[float, float], ...]:
    """When a visit of ``service`` minutes may start on ``day``.

    Within each opening interval of the site (OpenStreetMap
    ``opening_hours``), a visit ends by closing time and, outdoors in the
    mountains, by sunset (:func:`is_outdoor_mountain`), and starts no earlier
    than the day.  A ``lunch`` stop starts in the lunch window; a
    ``long_lunch`` visit spans the lunch hours so that it stands in for lunch.
    """
    out: list[tuple[float, float]] = []
    outdoor = is_outdoor_mountain(site)
    for a, b in open_intervals(site.opening_hours, day):
        close = min(b, sunset) if outdoor else b
        lo, hi = max(a, day_start), close - service
        if lunch:
            lo, hi = max(lo, LUNCH_EARLIEST), min(hi, LUNCH_LATEST_START)
        if long_lunch:
            lo, hi = max(lo, LUNCH_LATEST_END - service), min(hi, LONG_VISIT_LATEST_START)
        if hi >= lo:
            out.append((float(lo), float(hi)))
    return tuple(out)


# ---------------------------------------------------------------------------
# Value


def theme_match(hits: Iterable[float]) -> float:
    """How well a site fits, from the weights of its matching themes.

    The best-matching theme counts in full and each other one a quarter
    (capped at 1.5), so a site on several wanted themes is worth more, but
    not several sites' worth.  A site that matches nothing keeps a tenth, so
    a free hour still finds something worth seeing.  A rule of this planner.

    Examples
    --------
    >>> theme_match([1.0, 0.5]), theme_match([]), theme_match([1.0, 1.0, 1.0])
    (1.125, 0.1, 1.5)
    """
    ranked = sorted(hits, reverse=True)
    return min(1.5, ranked[0] + 0.25 * sum(ranked[1:])) if ranked else 0.1


#: Diminishing returns: each further visit of one kind on a day (a visitor's
#: category, a study tour's theme) counts DECAY of the one before, so a day
#: mixes kinds.  A rule of this planner; one value for both planners (the
#: study tours used 0.7 until issue 18, with no reason given for the
#: difference).
DECAY = 0.75


def diminishing(
    base: Sequence[float],
    kinds: Sequence[Collection[str]],
    value: Callable[[int, Callable[[str], float]], float],
    *,
    decay: float,
) -> list[float]:
    """Credit a day's visits with diminishing returns within each kind.

    Visits are credited from the most valuable (``base``) down, ties by
    position.  ``value(i, weight)`` gives visit ``i`` its credit, where
    ``weight(kind)`` is ``decay ** k`` with ``k`` the visits of that kind
    credited before it.  So diminishing returns are a property of the day's
    set of visits, not of their order: the best visit of a kind counts in
    full whichever one the visitor or the bus reaches first.  What a kind is
    (a category, a theme) is the caller's.  A rule of this planner: a
    second museum adds less than the first.

    Examples
    --------
    >>> diminishing([1.0, 2.0, 4.0], [{"a"}, {"a"}, {"b"}], lambda i, w: w("a"), decay=0.5)
    [0.5, 1.0, 1.0]
    """
    seen: dict[str, int] = {}

    def weight(kind: str) -> float:
        return decay ** seen.get(kind, 0)

    out = [0.0] * len(base)
    for i in sorted(range(len(base)), key=lambda i: (-base[i], i)):
        out[i] = value(i, weight)
        for kind in kinds[i]:
            seen[kind] = seen.get(kind, 0) + 1
    return out


# ---------------------------------------------------------------------------
# Tickets (an area ticket covers its parts: a part with no ticket of its own
# is entered on its parent area's ticket, bought once a day)


def entry_price(site: Site, sites: SiteTable) -> float:
    """What entering a site costs an adult on its own: the adult price of the ticket that admits to it.

    The ticket is :func:`tourplan.tickets.ticket_payer`'s (the site's own, its
    area's for a part under ``area_ticket``, none for a free row such as a
    restaurant at an area's gate).
    """
    payer = ticket_payer(site, sites)
    return 0.0 if payer is None else float(payer.ticket_cny)


def paid_ticket(site: Site, sites: SiteTable, charged: set[str]) -> float:
    """The adult ticket paid on visiting ``site``, given the tickets ``charged`` so far that day.

    The ticket that admits to the site (:func:`tourplan.tickets.ticket_payer`),
    the first time it is needed that day (``charged`` records it); else
    nothing.  A row with free entry (a restaurant at an area's gate) never
    carries its area's ticket.
    """
    payer = ticket_payer(site, sites)
    if payer is None or payer.id in charged:
        return 0.0
    charged.add(payer.id)
    return float(payer.ticket_cny)
