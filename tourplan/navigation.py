"""Links that hand a stop over to a navigation app (高德 Amap and 百度 Baidu).

tourplan keeps coordinates in WGS-84.  Each app expects its own datum, so
the point is converted before it goes into the link (:mod:`tourplan.coords`):

- **Amap** (高德) draws in GCJ-02.  Marker link, from the Amap URI API
  ("单点标注", https://lbs.amap.com/api/uri-api/guide/mobile-web/point)::

      https://uri.amap.com/marker?position=LON,LAT&name=NAME&src=SRC&coordinate=gaode&callnative=1

  ``position`` is longitude first; ``coordinate=gaode`` says GCJ-02;
  ``callnative=1`` opens the Amap app on a phone when it is installed.
  Search link ("搜索查询", https://lbs.amap.com/api/uri-api/guide/search/search)::

      https://uri.amap.com/search?keyword=NAME&city=CITY&view=map&src=SRC&callnative=1

- **Baidu** (百度) draws in BD-09.  Marker link, from the Baidu Web URI API
  (http://lbsyun.baidu.com/index.php?title=uri/api/web, "marker")::

      https://api.map.baidu.com/marker?location=LAT,LON&title=NAME&content=TEXT&output=html&coord_type=bd09ll&src=SRC

  ``location`` is latitude first; ``coord_type=bd09ll`` says BD-09;
  ``output=html`` is required on the web.  Search link (same API,
  "place/search")::

      https://api.map.baidu.com/place/search?query=NAME&region=CITY&output=html&src=SRC

When a point only stands in for a place (its ``location_error_m`` is at
least :data:`APPROXIMATE_ERROR_M`, or its confidence is ``"low"``) a marker
would send the visitor to the wrong spot, so both links search the place's
Chinese name in the city instead and ``approximate`` is true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from tourplan.coords import wgs84_to_bd09, wgs84_to_gcj02

if TYPE_CHECKING:
    from tourplan.site import Site

__all__ = [
    "AMAP_MARKER",
    "AMAP_SEARCH",
    "APPROXIMATE_ERROR_M",
    "BAIDU_MARKER",
    "BAIDU_SEARCH",
    "NavLinks",
    "point_navigation",
    "search_name",
    "site_navigation",
]

AMAP_MARKER = "https://uri.amap.com/marker"
AMAP_SEARCH = "https://uri.amap.com/search"
BAIDU_MARKER = "https://api.map.baidu.com/marker"
BAIDU_SEARCH = "https://api.map.baidu.com/place/search"
#: From this error radius (metres) on, a point is searched by name rather than marked.
APPROXIMATE_ERROR_M = 500.0
#: The city searches are limited to (Jiaozuo prefecture; its counties included).
DEFAULT_CITY = "焦作市"
#: Who is calling, as both URI APIs ask (Baidu's form is ``webapp.company.app``).
AMAP_SRC = "tourplan"
BAIDU_SRC = "webapp.tourplan.planner"


@dataclass(frozen=True, slots=True)
class NavLinks:
    """Where to open a stop in Amap and in Baidu Maps.

    Attributes
    ----------
    amap, baidu
        The links (https).
    approximate
        True when the links search the place by name because the point is
        only approximate; False when they mark the converted point.
    """

    amap: str
    baidu: str
    approximate: bool

    def __post_init__(self) -> None:
        for field_name in ("amap", "baidu"):
            url = getattr(self, field_name)
            if not (isinstance(url, str) and url.startswith("https://")):
                msg = f"NavLinks.{field_name} must be an https URL, got {url!r}"
                raise ValueError(msg)

    def to_dict(self) -> dict[str, str | bool]:
        """``{"amap": url, "baidu": url, "approximate": bool}`` for the JSON."""
        return {"amap": self.amap, "baidu": self.baidu, "approximate": self.approximate}


def _query(params: dict[str, str]) -> str:
    return urlencode(params, quote_via=quote, safe=",")


def search_name(name_zh: str) -> str:
    """The part of a Chinese site name a map search understands.

    Parenthesised notes are dropped and the ``·`` between an area and its
    part becomes a space.

    Examples
    --------
    >>> search_name("神农山风景区（紫陵镇入口一带）"), search_name("云台山·红石峡（温盘峪）")
    ('神农山风景区', '云台山 红石峡')
    """
    text = re.sub(r"[（(][^）)]*[）)]", "", name_zh)
    return re.sub(r"\s+", " ", re.sub(r"[·・]", " ", text)).strip()


def point_navigation(
    lat: float,
    lon: float,
    name: str,
    *,
    error_m: float = 0.0,
    confidence: str = "high",
    content: str = "",
    city: str = DEFAULT_CITY,
) -> NavLinks:
    """Navigation links for a WGS-84 point.

    Parameters
    ----------
    lat, lon
        WGS-84 degrees.
    name
        What the apps show on the marker; also the search text when the
        point is approximate (a Chinese name finds most).
    error_m, confidence
        How far off the point may be and how sure the data is; an error of
        :data:`APPROXIMATE_ERROR_M` or more, or ``"low"`` confidence, makes
        the links name searches.
    content
        A line Baidu shows under the name (the name when empty).
    city
        The city a search is limited to.

    Returns
    -------
    NavLinks

    Raises
    ------
    ValueError
        For a coordinate out of range, or an approximate point without a name.

    Examples
    --------
    >>> links = point_navigation(35.22259, 113.22932, "焦作站")
    >>> links.amap
    'https://uri.amap.com/marker?position=113.235692,35.222092&name=%E7%84%A6%E4%BD%9C%E7%AB%99&src=tourplan&coordinate=gaode&callnative=1'
    >>> links.baidu.split("&")[0]
    'https://api.map.baidu.com/marker?location=35.227860,113.242262'
    >>> point_navigation(35.2, 113.2, "焦作市博物馆", error_m=4000).amap
    'https://uri.amap.com/search?keyword=%E7%84%A6%E4%BD%9C%E5%B8%82%E5%8D%9A%E7%89%A9%E9%A6%86&city=%E7%84%A6%E4%BD%9C%E5%B8%82&view=map&src=tourplan&callnative=1'
    """
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        msg = f"lat, lon must be WGS-84 degrees (lat -90..90, lon -180..180), got {lat!r}, {lon!r}"
        raise ValueError(msg)
    approximate = error_m >= APPROXIMATE_ERROR_M or confidence == "low"
    if approximate:
        keyword = search_name(name)
        if not keyword:
            msg = f"name must be given for an approximate point (error {error_m:g} m), got {name!r}"
            raise ValueError(msg)
        amap = f"{AMAP_SEARCH}?" + _query(
            {"keyword": keyword, "city": city, "view": "map", "src": AMAP_SRC, "callnative": "1"}
        )
        baidu = f"{BAIDU_SEARCH}?" + _query(
            {"query": keyword, "region": city, "output": "html", "src": BAIDU_SRC}
        )
        return NavLinks(amap, baidu, approximate=True)
    g_lat, g_lon = wgs84_to_gcj02(lat, lon)
    b_lat, b_lon = wgs84_to_bd09(lat, lon)
    amap = f"{AMAP_MARKER}?" + _query(
        {
            "position": f"{g_lon:.6f},{g_lat:.6f}",
            "name": name,
            "src": AMAP_SRC,
            "coordinate": "gaode",
            "callnative": "1",
        }
    )
    baidu = f"{BAIDU_MARKER}?" + _query(
        {
            "location": f"{b_lat:.6f},{b_lon:.6f}",
            "title": name,
            "content": content or name,
            "output": "html",
            "coord_type": "bd09ll",
            "src": BAIDU_SRC,
        }
    )
    return NavLinks(amap, baidu, approximate=False)


def site_navigation(site: Site, *, lang: str = "zh", city: str = DEFAULT_CITY) -> NavLinks:
    """Navigation links for a site of the table.

    The marker is titled with the site's name in *lang*; a search always
    uses the Chinese name, which is what the apps index.

    Examples
    --------
    >>> from tourplan.data import load_sites
    >>> sites = load_sites()
    >>> site_navigation(sites["chenjiagou"]).approximate
    False
    >>> nav = site_navigation(sites["yuntai_hongshixia"])
    >>> nav.approximate, "keyword=%E4%BA%91%E5%8F%B0%E5%B1%B1%20%E7%BA%A2%E7%9F%B3%E5%B3%A1" in nav.amap
    (True, True)
    """
    approximate = site.location_error_m >= APPROXIMATE_ERROR_M or site.confidence == "low"
    name = site.name_zh if approximate else site.label(lang)
    return point_navigation(
        site.lat,
        site.lon,
        name or site.name_en,
        error_m=site.location_error_m,
        confidence=site.confidence,
        content=site.activity_text(lang),
        city=city,
    )
