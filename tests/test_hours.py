"""Opening hours in words (``describe_hours``) and their structure (``summarize_hours``)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tourplan.hours import HoursError, describe_hours, open_intervals, summarize_hours

#: Anything left of the OSM syntax: day or month abbreviations, ``24/7``, ``off``, hyphenated times.
_RAW = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su|PH|SH|off)\b|24/7|\d{2}:\d{2}-\d{2}:\d{2}")


def _distinct_hours(bundled_sites) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted({s.opening_hours for s in bundled_sites})


def test_every_value_in_the_table_reads_as_words(bundled_sites):
    values = _distinct_hours(bundled_sites)
    assert len(values) >= 20
    for spec in values:
        for lang in ("zh", "en"):
            text = describe_hours(spec, lang)
            assert text, spec
            assert not _RAW.search(text), (spec, lang, text)
        zh = describe_hours(spec, "zh")
        assert re.search(r"[\u4e00-\u9fff]", zh), (spec, zh)
        assert not re.search(r"[A-Za-z]", zh), (spec, zh)


def test_every_value_in_the_table_agrees_with_the_evaluated_week(bundled_sites):
    """Each open time the words give is what ``open_intervals`` finds on those days."""
    week = [dt.date(2026, 6, 8) + dt.timedelta(days=i) for i in range(7)]  # Monday to Sunday
    for spec in _distinct_hours(bundled_sites):
        summary = summarize_hours(spec)
        covered = sorted(wd for r in summary.rules for wd in r.weekdays)
        assert covered == list(range(7)), spec
        for rule in summary.rules:
            for wd in rule.weekdays:
                assert open_intervals(spec, week[wd]) == rule.intervals, (spec, wd)
            for a, b in rule.intervals:
                hhmm = f"{a // 60:02d}:{a % 60:02d}–{b // 60:02d}:{b % 60:02d}"
                if (a, b) != (0, 1440):
                    assert hhmm in describe_hours(spec, "en"), (spec, hhmm)


@pytest.mark.parametrize(
    ("spec", "zh", "en"),
    [
        ("Mo-Su 07:00-18:00", "每天 07:00–18:00", "daily 07:00–18:00"),
        ("Tu-Su 09:00-17:00; Mo off", "周二至周日 09:00–17:00，周一休息", "Tue–Sun 09:00–17:00; closed Mon"),
        (
            "Mo-Fr 08:30-12:00,14:30-17:30",
            "周一至周五 08:30–12:00、14:30–17:30，周六、周日休息",
            "Mon–Fri 08:30–12:00, 14:30–17:30; closed Sat, Sun",
        ),
        ("24/7", "全天开放", "open 24 hours"),
        ("", "全天开放", "open 24 hours"),
        ("off", "不开放", "closed"),
        ("Mo,We,Fr 10:00-12:00", "周一、周三、周五 10:00–12:00，周二、周四、周六、周日休息",
         "Mon, Wed, Fri 10:00–12:00; closed Tue, Thu, Sat, Sun"),
        ("Sa-Mo 10:00-16:00", "周六至周一 10:00–16:00，周二至周五休息", "Sat–Mon 10:00–16:00; closed Tue–Fri"),
        ("Mo-Su 17:30-02:00", "每天 17:30–次日02:00", "daily 17:30–02:00 (next day)"),
        ("Sa,Su 00:00-24:00; Mo-Fr 08:00-18:00", "周一至周五 08:00–18:00，周六、周日 全天开放",
         "Mon–Fri 08:00–18:00; Sat, Sun open 24 hours"),
        (
            "Apr-Oct Mo-Su 08:00-18:00; Nov-Mar Tu-Su 08:30-17:00; Nov-Mar Mo off",
            "11月至次年3月：周二至周日 08:30–17:00，周一休息；4月至10月：每天 08:00–18:00",
            "Nov–Mar: Tue–Sun 08:30–17:00; closed Mon. Apr–Oct: daily 08:00–18:00",
        ),
        ("Mo-Su 08:00-18:00; Dec 25 off", "每天 08:00–18:00（部分日期除外）", "daily 08:00–18:00 (some dates differ)"),
        ("Tu-Su 09:00-17:00; Mo off; PH off", "周二至周日 09:00–17:00，周一休息（节假日时间另定）",
         "Tue–Sun 09:00–17:00; closed Mon (different on public holidays)"),
    ],
)  # fmt: skip
def test_words_for_common_rules(spec, zh, en):
    assert describe_hours(spec, "zh") == zh
    assert describe_hours(spec, "en") == en


def test_seasons_and_exceptions_are_flagged():
    seasonal = summarize_hours("Apr-Oct 08:00-18:00; Nov-Mar 08:30-17:00")
    assert seasonal.seasonal and not seasonal.irregular and not seasonal.always_open
    assert {r.months for r in seasonal.rules} == {(4, 5, 6, 7, 8, 9, 10), (1, 2, 3, 11, 12)}
    plain = summarize_hours("Mo-Su 08:00-18:00; Dec 25 off")
    assert plain.irregular and not plain.seasonal
    assert summarize_hours("24/7").always_open


def test_bad_value_raises_the_hours_error():
    with pytest.raises(HoursError, match="not a valid OpenStreetMap opening_hours value"):
        describe_hours("sometimes", "en")
