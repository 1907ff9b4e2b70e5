"""``tourplan simulate`` (a day of visitor flow) and ``tourplan sweep`` (a season of days on Dask)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from tourplan.cli._common import echo_result, fail, handle_errors, load
from tourplan.cli.lang import CLAUSE_SEP, current_lang
from tourplan.cli.lang import gettext as _
from tourplan.cli.options import data_option, format_option, path_option, seed_option
from tourplan.flow.calendar import DAY_TYPES

if TYPE_CHECKING:
    from pathlib import Path

    from tourplan.flow import FlowResult
    from tourplan.site import SiteTable
    from tourplan.sweep import SweepResult

__all__ = ["format_comparison_text", "format_simulation_text", "format_sweep_text", "simulate", "sweep"]


@click.command()
@click.option("--date", "date_text", required=True, help="Day to simulate, YYYY-MM-DD.")
@click.option(
    "--visitors",
    type=click.IntRange(0, 20_000_000),
    default=None,
    help="Visitors that day (default: by day type).",
)
@seed_option
@click.option(
    "--slot", "slot", default=15, show_default=True, type=click.Choice(["5", "10", "15", "20", "30", "60"])
)
@click.option(
    "--day-type",
    type=click.Choice(DAY_TYPES),
    default=None,
    help="Override the day type derived from the date.",
)
@click.option(
    "--rain",
    "outdoor_factor",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 2),
    help="Value factor of outdoor sites (below 1 when it rains).",
)
@path_option(
    "--scenario",
    "scenario_path",
    exists=True,
    help="Scenario JSON (fields of Scenario.from_dict); options override it.",
)
@click.option(
    "--timed-entry",
    is_flag=True,
    help="Timed-entry quotas at every site from its capacity (LB/T 034: C0 x slot / visit time).",
)
@click.option(
    "--quota",
    "quotas",
    multiple=True,
    metavar="SITE=N",
    help="Timed-entry quota: at most N entries per slot at SITE (repeatable; overrides --timed-entry there).",
)
@click.option(
    "--daily-cap",
    "daily_caps",
    multiple=True,
    metavar="SITE=N",
    help="At most N admissions a day at SITE (repeatable).",
)
@click.option(
    "--group-shift",
    type=click.IntRange(-240, 240),
    default=None,
    metavar="MINUTES",
    help="Move school groups' start times this many minutes later (negative: earlier).",
)
@click.option(
    "--compare",
    "compare_runs",
    is_flag=True,
    help="Also run the day without the measures and show both side by side.",
)
@format_option("text", "json")
@path_option("--csv", "csv_dir", folder=True, help="Write slots.csv and daily.csv here.")
@path_option("--plot", "plot_path", help="Draw occupancy against capacity (PNG; needs matplotlib).")
@data_option
@handle_errors
def simulate(
    date_text: str,
    visitors: int | None,
    seed: int,
    slot: str,
    day_type: str | None,
    outdoor_factor: float,
    scenario_path: Path | None,
    timed_entry: bool,
    quotas: tuple[str, ...],
    daily_caps: tuple[str, ...],
    group_shift: int | None,
    compare_runs: bool,
    fmt: str,
    csv_dir: Path | None,
    plot_path: Path | None,
    data_path: Path | None,
    edges_path: Path | None,
) -> None:
    """Simulate a day of visitor flow: occupancy, queues, alert episodes and the effect of measures.

    Measures (timed entry, quotas, daily caps, moved school groups) add to
    those of the scenario file; --compare also runs the day as planned
    (without any) and reports both.
    """
    from dataclasses import replace

    from tourplan.flow import Measures, PlanLibrary, Scenario, compare
    from tourplan.flow import simulate as run_simulation

    spec: dict[str, Any] = {}
    if scenario_path is not None:
        try:
            spec = dict(json.loads(scenario_path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            fail(f"{scenario_path}: not a JSON object ({exc})")
            return
    spec["date"] = date_text
    spec["slot_minutes"] = int(slot)
    if visitors is not None:
        spec["visitors"] = visitors
    if day_type is not None:
        spec["day_type"] = day_type
    if outdoor_factor != 1.0:
        spec["outdoor_factor"] = outdoor_factor
    measures = dict(spec.get("measures") or {})
    if timed_entry:
        measures["timed_entry"] = True
    for name, pairs in (("quotas", quotas), ("daily_caps", daily_caps)):
        if pairs:
            measures[name] = {
                **dict(measures.get(name) or {}),
                **_site_numbers(pairs, name.replace("_", "-")),
            }
    if group_shift is not None:
        measures["group_shift_minutes"] = group_shift
    if measures:
        spec["measures"] = measures
    scenario = Scenario.from_dict(spec)
    sites, graph = load(data_path, edges_path)
    plans = PlanLibrary()
    if sys.stderr.isatty():
        with click.progressbar(length=1000, label="simulating", file=sys.stderr) as bar:
            state = {"done": 0}

            def progress(fraction: float) -> None:
                step = int(fraction * 1000) - state["done"]
                if step > 0:
                    bar.update(step)
                    state["done"] += step

            result = run_simulation(scenario, sites, graph, seed=seed, progress=progress, plans=plans)
    else:
        result = run_simulation(scenario, sites, graph, seed=seed, plans=plans)
    comparison = None
    if compare_runs:
        planned = replace(scenario, measures=Measures())
        comparison = compare(run_simulation(planned, sites, graph, seed=seed, plans=plans), result)
    if csv_dir is not None:
        csv_dir.mkdir(parents=True, exist_ok=True)
        slots, daily = result.to_frames()
        slots.to_csv(csv_dir / "slots.csv", index=False)
        daily.to_csv(csv_dir / "daily.csv", index=False)
    if plot_path is not None:
        try:
            from tourplan.flow import plot_occupancy
        except ImportError as exc:  # pragma: no cover - matplotlib is optional
            fail(f"--plot needs matplotlib ({exc})")
            return
        try:
            fig = plot_occupancy(result)
        except ImportError as exc:
            fail(f"--plot needs matplotlib ({exc})")
            return
        fig.savefig(plot_path, dpi=110)
    if comparison is None:
        echo_result(result, fmt, lambda r: format_simulation_text(r, sites), indent=None)
    elif fmt == "json":
        click.echo(json.dumps({**result.to_dict(), "comparison": comparison.to_dict()}, ensure_ascii=False))
    else:
        click.echo(format_simulation_text(result, sites) + "\n" + format_comparison_text(comparison.to_dict(), sites))


def _site_numbers(pairs: tuple[str, ...], option: str) -> dict[str, int]:
    """``SITE=N`` option values to ``{site: N}``; a malformed one is a usage error."""
    out: dict[str, int] = {}
    for text in pairs:
        sid, sep, num = text.partition("=")
        if not sep or not sid.strip() or not num.strip().isdigit():
            msg = f"expected SITE=N with N a whole number, got {text!r}"
            raise click.BadParameter(msg, param_hint=f"--{option}")
        out[sid.strip()] = int(num)
    return out


def _day_kind(kind: str) -> str:
    words = {"weekday": _("Weekday"), "weekend": _("Weekend"), "public_holiday": _("Public holiday"),
             "golden_week": _("Golden week")}  # fmt: skip
    return words.get(kind, kind)


def _site_name(sites: SiteTable | None, site_id: str, lang: str) -> str:
    site = None if sites is None else sites.get(site_id)
    return site_id if site is None else site.label(lang)


def _peak(
    result: FlowResult, site_id: str, load: Any, ratio: Any, c0: Any, c1: Any, sites: SiteTable | None, lang: str
) -> dict[str, Any]:
    """The parameters a site's or an area's line shares: its name, its fullest slot and its capacities."""
    import numpy as np

    from tourplan._parse import fmt_time
    from tourplan.messages import crowd_text

    j = int(np.argmax(ratio))
    return {
        "site": _site_name(sites, site_id, lang), "peak": f"{int(load[j]):,}", "c0": f"{int(c0):,}",
        "pct": crowd_text({"pct": 100 * float(ratio[j])}, lang), "c1": f"{int(c1):,}",
        "at": fmt_time(result.day_start + j * result.slot_minutes),
    }  # fmt: skip


def format_simulation_text(result: FlowResult, sites: SiteTable | None = None, lang: str | None = None) -> str:
    """A simulation in ``lang`` (default: the run's): the day's totals, the busiest sites and areas, the 20 worst
    alert episodes (times are China Standard Time; sites by name when ``sites`` is given, else by id)."""
    import numpy as np

    from tourplan._parse import fmt_time
    from tourplan.messages import crowd_text

    lang = lang or current_lang()
    m = result.measures
    sc = result.scenario
    head = _("%(date)s (%(kind)s): %(visitors)s visitors, %(finished)s finished, %(out)s still out at %(end)s") % {
        "date": sc.date.isoformat(), "kind": _day_kind(sc.kind), "visitors": f"{result.visitors:,}",
        "finished": f"{result.finished:,}", "out": f"{result.inside_at_end:,}", "end": fmt_time(sc.day_end),
    }  # fmt: skip
    if m.active:
        head += CLAUSE_SEP[lang] + _("%(n)s turned away") % {"n": f"{m.turned_away:,}"}
    head += CLAUSE_SEP[lang] + _(
        "%(slots)d alert slots in %(episodes)d episodes; %(plans)d plans; %(seconds).2f s (%(planning).2f s planning)"
    ) % {
        "slots": len(result.alerts), "episodes": len(result.episodes()), "plans": result.plans,
        "seconds": result.runtime, "planning": result.plan_seconds,
    }  # fmt: skip
    lines = [head]
    if m.active:
        lines.append("  " + _(
            "measures: %(quota)d sites with timed entry, %(capped)d with a daily cap; %(shifted)s visits shifted "
            "(mean %(minutes).0f min later), %(diverted)s diverted, %(skipped)s skipped; %(groups)d groups moved"
        ) % {
            "quota": m.quota_sites, "capped": m.capped_sites, "shifted": f"{m.shifted:,}",
            "minutes": m.shift_minutes, "diverted": f"{m.diverted:,}", "skipped": f"{m.skipped:,}",
            "groups": m.groups_moved,
        })  # fmt: skip
    r = result.ratio()
    for sid in result.busiest(8):
        i = result.index(sid)
        peak = _peak(result, sid, result.load[i], r[i], result.capacity_instant[i], result.capacity_daily[i], sites, lang)
        lines.append("  " + _(
            "%(site)s: peak %(peak)s / C0 %(c0)s (%(pct)s) at %(at)s; %(visits)s visits / C1 %(c1)s; "
            "longest queue %(queue).0f, longest mean wait %(wait).0f min"
        ) % {
            **peak, "visits": f"{int(result.daily_visits[i]):,}",
            "queue": float(result.queue[i].max()), "wait": float(np.nanmax(np.r_[result.mean_wait[i], 0.0])),
        })  # fmt: skip
    areas = result.areas
    ar = areas.ratio()
    for a, aid in enumerate(areas.area_ids):
        if areas.daily_visits[a] == 0:
            continue
        peak = _peak(result, aid, areas.load[a], ar[a], areas.capacity_instant[a], areas.capacity_daily[a], sites, lang)
        lines.append("  " + _(
            "area %(site)s: peak %(peak)s / C0 %(c0)s (%(pct)s) at %(at)s; %(visitors)s visitors "
            "(%(visits)s site visits) / C1 %(c1)s; %(parts)d parts"
        ) % {
            **peak, "visitors": f"{int(areas.visitors[a]):,}",
            "visits": f"{int(areas.daily_visits[a]):,}", "parts": len(areas.members[a]) - 1,
        })  # fmt: skip
    episodes = result.episodes()
    for e in episodes[:20]:
        d = e.to_dict()
        lines.append("  " + _(
            "%(start)s-%(end)s %(site)s: %(level)s, peak %(peak)s / C0 %(c0)s at %(at)s, queue up to %(queue)s"
        ) % {
            "start": d["start"], "end": d["end"], "site": _site_name(sites, e.site_id, lang),
            "level": crowd_text({"pct": d["peak_pct"]}, lang), "peak": f"{d['peak']:,}",
            "c0": f"{d['capacity_instant']:,}", "at": d["peak_at"], "queue": f"{d['max_queue']:,}",
        })  # fmt: skip
    if len(episodes) > 20:
        lines.append("  " + _("… %(n)d more episodes (use --format json or --csv)") % {"n": len(episodes) - 20})
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (Chinese characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: str, width: int, *, right: bool = False) -> str:
    pad = " " * max(width - _width(text), 0)
    return pad + text if right else text + pad


def _level(level: str, pct: object, lang: str) -> str:
    """An alert tier in words with its share of C0 (the tier as the flow model set it)."""
    from tourplan.messages import crowd_text

    return f"{crowd_text({'level': level}, lang) or level} {pct} %"


def format_comparison_text(
    c: dict[str, Any], sites: SiteTable | None = None, lang: str | None = None
) -> str:
    """As planned against with measures: the figures side by side, then the episodes the measures eased."""
    lang = lang or current_lang()
    a, b = c["planned"], c["measured"]
    rows = [
        (_("red / orange / yellow episodes"), *(
            f"{x['episodes']['red']} / {x['episodes']['orange']} / {x['episodes']['yellow']}" for x in (a, b)
        )),
        (_("highest share of C0 (%)"), str(a["max_pct"]), str(b["max_pct"])),
        (_("longest queue (people)"), f"{a['max_queue']:,}", f"{b['max_queue']:,}"),
        (_("mean wait (min)"), str(a["mean_wait_minutes"]), str(b["mean_wait_minutes"])),
        (_("visits"), f"{a['visits']:,}", f"{b['visits']:,}"),
        (_("visits shifted / diverted / skipped"), "0 / 0 / 0",
         f"{b['shifted']:,} / {b['diverted']:,} / {b['skipped']:,}"),
        (_("turned away (visitors)"), f"{a['turned_away']:,}", f"{b['turned_away']:,}"),
    ]  # fmt: skip
    lines = ["", _cell("", 38) + _cell(_("as planned"), 16, right=True) + _cell(_("with measures"), 26, right=True)]
    lines += [_cell(name, 38) + _cell(x, 16, right=True) + _cell(y, 26, right=True) for name, x, y in rows]
    eased = [e for e in c["episodes"] if e["removed"]]
    lines.append(_("episodes eased by the measures: %(n)d of %(total)d") % {"n": len(eased), "total": len(c["episodes"])})
    for e in eased[:20]:
        before, after = _level(e["level"], e["peak_pct"], lang), _level(e["after"], e["after_pct"], lang)
        colon = "：" if lang == "zh" else ": "
        lines.append(f"  {e['start']}-{e['end']} {_site_name(sites, e['site_id'], lang)}{colon}{before} → {after}")
    return "\n".join(lines)


def _int_list(_ctx: Any, _param: Any, value: str) -> list[int]:
    try:
        out = [int(v.replace("_", "")) for v in value.split(",") if v.strip()]
    except ValueError:
        msg = f"expected comma-separated counts, got {value!r}"
        raise click.BadParameter(msg) from None
    if not out or any(v < 0 for v in out):
        msg = f"expected one or more counts >= 0, got {value!r}"
        raise click.BadParameter(msg)
    return out


@click.command()
@click.option("--from", "date_from", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "date_to", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--visitors", required=True, callback=_int_list, help="Demand levels, e.g. 50000,100000.")
@click.option(
    "--seeds", default=3, show_default=True, type=click.IntRange(1, 1000), help="Seeds 0..N-1 per day."
)
@click.option("--rain", "outdoor_factor", default=1.0, show_default=True, type=click.FloatRange(0, 2),
              help="Value factor of outdoor sites (below 1 for a rainy season).")  # fmt: skip
@click.option("--scheduler", default=None, help="A running dask scheduler, tcp://HOST:PORT (default: local).")
@click.option(
    "--workers", default=None, type=click.IntRange(1, 256), help="Local worker processes (default: cores)."
)
@format_option("text", "json")
@data_option
@handle_errors
def sweep(
    date_from: str,
    date_to: str,
    visitors: list[int],
    seeds: int,
    outdoor_factor: float,
    scheduler: str | None,
    workers: int | None,
    fmt: str,
    data_path: Path | None,
    edges_path: Path | None,
) -> None:
    """Simulate every day x demand x seed on Dask; peak load and alert episodes per site and day."""
    from tourplan._parse import parse_date
    from tourplan.errors import RequestValidationError
    from tourplan.sweep import make_cases, run_sweep

    errors: dict[str, str] = {}
    start, end = parse_date(date_from, errors, "from"), parse_date(date_to, errors, "to")
    if errors or start is None or end is None:
        raise RequestValidationError(errors)
    cases = make_cases(start, end, visitors, seeds)
    sites, graph = load(data_path, edges_path)
    base = {"outdoor_factor": outdoor_factor} if outdoor_factor != 1.0 else {}
    result = run_sweep(cases, sites, graph, base, scheduler=scheduler, workers=workers)
    echo_result(result, fmt, format_sweep_text)
    click.echo(_("%(n)d simulations in %(seconds).1f s") % {"n": result.cases, "seconds": result.runtime}, err=True)


def format_sweep_text(result: SweepResult) -> str:
    """Per demand level: the sites that reach 80 % of C0 on some day, p90 peak % per day."""
    lines: list[str] = []
    for n in result.demands:
        ids, dates, grid = result.heat(n)
        lines.append(_("%(n)s visitors: p90 peak %% of C0 (sites reaching 80 %%)") % {"n": f"{n:,}"})
        lines.append("  " + " ".join(f"{d:%m-%d}" for d in dates) + "  " + _("site"))
        for sid, row in zip(ids, grid, strict=True):
            if max(row) >= 80:
                lines.append("  " + " ".join(f"{x:5.0f}" for x in row) + f"  {sid}")
    return "\n".join(lines)
