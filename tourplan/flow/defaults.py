"""Sourced default figures of a visitor-flow scenario.

The numbers a :class:`~tourplan.flow.Scenario` falls back to: visitors per
day type, the share of them whose day includes an area, arrival profiles,
school groups.  The default entry points and segments built from them are
in :mod:`tourplan.flow.scenario`.

Sourced figures used (see ``shared/reference/domain.md`` s. 3)
--------------------------------------------------------------
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
Everything else is marked ASSUMPTION where it is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_AREA_SHARES",
    "DEFAULT_VISITORS",
    "PROFILES",
    "PROFILE_START",
    "PROFILE_STEP",
    "SCHOOL_SHARE",
    "SELF_DRIVE_SHARE",
    "YUNTAI_PEAK_GOLDEN_WEEK",
    "YUNTAI_PEAK_MAY_DAY",
]

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


#: ASSUMPTION: school groups make 3 % of weekday visitors and none on
#: weekends and holidays; classes of 40 (two classes with 1 teacher per 20
#: students, domain.md s. 2, unverified) arriving by coach.
SCHOOL_SHARE: Mapping[str, float] = {
    "weekday": 0.03,
    "weekend": 0.0,
    "public_holiday": 0.0,
    "golden_week": 0.0,
}
