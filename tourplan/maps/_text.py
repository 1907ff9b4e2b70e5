"""The fixed words of every map (popup labels, legends, warning tiers) in Chinese and English.

Keyed by language, then by a short name; the map modules look words up
with ``_TEXT[lang][name]``. Names and other text from data never come from
here.
"""

from __future__ import annotations

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "arrive": "到达",
        "leave": "离开",
        "activity": "活动",
        "ticket": "门票",
        "free": "免费",
        "crowd": "预计人流",
        "start": "起点",
        "end": "终点",
        "start_end": "起点/终点",
        "start_mark": "起",
        "end_mark": "终",
        "both_mark": "起终",
        "legend": "图例",
        "approx_legend": "位置为近似（虚线圈）",
        "schedule": "日程",
        "bus": "巴士路线",
        "capacity": "瞬时最大承载量",
        "peak": "峰值",
        "at": "于",
        "visitors": "人",
        "load": "负荷（相对承载量）",
        "route": "行程",
        "sites": "景点人流",
        "t0": "< 80% 正常",
        "t1": "80–90% 黄色预警",
        "t2": "90–100% 橙色预警",
        "t3": "> 100% 红色（停止售票）",
    },
    "en": {
        "arrive": "Arrive",
        "leave": "Leave",
        "activity": "Activity",
        "ticket": "Ticket",
        "free": "free",
        "crowd": "Expected crowd",
        "start": "Start",
        "end": "End",
        "start_end": "Start/end",
        "start_mark": "S",
        "end_mark": "E",
        "both_mark": "S/E",
        "legend": "Legend",
        "approx_legend": "Approximate location (dashed circle)",
        "schedule": "Schedule",
        "bus": "bus route",
        "capacity": "Instantaneous capacity",
        "peak": "Peak",
        "at": "at",
        "visitors": "visitors",
        "load": "Load against capacity",
        "route": "Itinerary",
        "sites": "Visitor flow",
        "t0": "< 80% normal",
        "t1": "80–90% yellow warning",
        "t2": "90–100% orange warning",
        "t3": "> 100% red (stop ticket sales)",
    },
}
