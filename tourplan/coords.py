"""Conversions between WGS-84, GCJ-02 ("Mars") and BD-09 (Baidu) coordinates.

Chinese web maps such as Gaode (AutoNavi) draw their tiles in GCJ-02, a
deliberately perturbed datum. A WGS-84 point drawn on those tiles lands some
hundreds of metres off (about 580 m, mostly east-west, around Jiaozuo).
tourplan keeps every coordinate in WGS-84 and converts only when drawing on
GCJ-02 tiles (see :mod:`tourplan.maps`).

The forward transform is the widely published public formula (Krasovsky 1940
ellipsoid, the same polynomial corrections used by eviltransform and
prcoords). The inverse has no closed form and is solved by fixed-point
iteration to well under a millimetre.

Baidu Maps adds a second perturbation on top of GCJ-02, BD-09 (``bd09ll``):
a small rotation and scaling about the origin plus a fixed shift of
(0.006 deg lat, 0.0065 deg lon), some 1 km near Jiaozuo.  The forward formula
is the public one (as in wandergis/coordtransform); the inverse is again
solved by fixed-point iteration rather than the usual closed-form
approximation, which is off by up to a metre or so.  :func:`to_wgs84` turns a
point given in any of the three datums into WGS-84.
"""

from __future__ import annotations

import math

__all__ = [
    "DATUMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_mainland_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Datums a coordinate may be given in: WGS-84 (GPS, OpenStreetMap), GCJ-02
#: (Gaode/AutoNavi, Tencent) and BD-09 (Baidu).
DATUMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis, metres
_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0  # BD-09's angular frequency (radians per degree)


def in_mainland_china(lat: float, lon: float) -> bool:
    """Return whether a point lies in the rough box where GCJ-02 applies.

    Parameters
    ----------
    lat, lon
        WGS-84 (or GCJ-02) latitude and longitude in degrees.

    Returns
    -------
    bool
        ``True`` inside the conventional bounding box (lon 72.004-137.8347,
        lat 0.8293-55.8271). Outside it both transforms return the input.

    Examples
    --------
    >>> in_mainland_china(35.2, 113.2), in_mainland_china(51.5, -0.1)
    (True, False)
    """
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271


def _delta(lat: float, lon: float) -> tuple[float, float]:
    """Return the GCJ-02 offset (dlat, dlon) in degrees at a WGS-84 point."""
    x = lon - 105.0
    y = lat - 35.0
    sq = math.sqrt(abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += common
    dlon += common
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Convert a WGS-84 point to GCJ-02.

    Parameters
    ----------
    lat, lon
        WGS-84 latitude and longitude in degrees.

    Returns
    -------
    tuple of float
        ``(lat, lon)`` in GCJ-02. Points outside mainland China are returned
        unchanged.

    Examples
    --------
    >>> lat, lon = wgs84_to_gcj02(31.1774276, 121.5272106)  # Shanghai
    >>> round(lat, 6), round(lon, 6)
    (31.175304, 121.531542)

    Notes
    -----
    O(1).
    """
    if not in_mainland_china(lat, lon):
        return lat, lon
    dlat, dlon = _delta(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(
    lat: float, lon: float, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[float, float]:
    """Convert a GCJ-02 point back to WGS-84 by fixed-point iteration.

    Parameters
    ----------
    lat, lon
        GCJ-02 latitude and longitude in degrees.
    tol_deg
        Stop when a step changes the estimate by less than this (degrees;
        ``1e-10`` deg is about 0.01 mm).
    max_iter
        Upper bound on iterations (the map contracts fast: 3-5 suffice).

    Returns
    -------
    tuple of float
        ``(lat, lon)`` in WGS-84 such that ``wgs84_to_gcj02`` of it gives the
        input back. Points outside mainland China are returned unchanged.

    Examples
    --------
    >>> lat, lon = gcj02_to_wgs84(31.17530398364597, 121.531541859215)
    >>> round(lat, 7), round(lon, 7)
    (31.1774276, 121.5272106)
    """
    if not in_mainland_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(max_iter):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat -= e_lat
        w_lon -= e_lon
        if abs(e_lat) < tol_deg and abs(e_lon) < tol_deg:
            break
    return w_lat, w_lon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """Convert a GCJ-02 point to BD-09 (Baidu's ``bd09ll``).

    Parameters
    ----------
    lat, lon
        GCJ-02 latitude and longitude in degrees.

    Returns
    -------
    tuple of float
        ``(lat, lon)`` in BD-09.

    Examples
    --------
    The reference value of wandergis/coordtransform (``test/app.js``):

    >>> lat, lon = gcj02_to_bd09(39.915, 116.404)
    >>> round(lat, 8), round(lon, 8)
    (39.92133699, 116.41036949)

    Notes
    -----
    O(1).
    """
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(
    lat: float, lon: float, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[float, float]:
    """Convert a BD-09 point back to GCJ-02 by fixed-point iteration.

    Parameters
    ----------
    lat, lon
        BD-09 latitude and longitude in degrees.
    tol_deg
        Stop when a step changes the estimate by less than this (degrees).
    max_iter
        Upper bound on iterations (2-4 suffice).

    Returns
    -------
    tuple of float
        ``(lat, lon)`` in GCJ-02 such that :func:`gcj02_to_bd09` of it gives
        the input back.

    Examples
    --------
    >>> lat, lon = bd09_to_gcj02(39.92133699351021, 116.41036949371029)
    >>> round(lat, 9), round(lon, 9)
    (39.915, 116.404)
    """
    g_lat, g_lon = lat - 0.006, lon - 0.0065
    for _ in range(max_iter):
        b_lat, b_lon = gcj02_to_bd09(g_lat, g_lon)
        e_lat, e_lon = b_lat - lat, b_lon - lon
        g_lat -= e_lat
        g_lon -= e_lon
        if abs(e_lat) < tol_deg and abs(e_lon) < tol_deg:
            break
    return g_lat, g_lon


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """Convert a WGS-84 point to BD-09 (through GCJ-02).

    Examples
    --------
    >>> lat, lon = wgs84_to_bd09(35.22259, 113.22932)  # 焦作站
    >>> round(lat, 5), round(lon, 5)
    (35.22786, 113.24226)
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """Convert a BD-09 point back to WGS-84 (through GCJ-02).

    Examples
    --------
    >>> lat, lon = bd09_to_wgs84(*wgs84_to_bd09(35.22259, 113.22932))
    >>> round(lat, 7), round(lon, 7)
    (35.22259, 113.22932)
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


def to_wgs84(lat: float, lon: float, datum: str) -> tuple[float, float]:
    """A point given in ``datum`` (one of :data:`DATUMS`) as WGS-84.

    Raises
    ------
    ValueError
        For an unknown datum.

    Examples
    --------
    >>> to_wgs84(35.2, 113.2, "wgs84")
    (35.2, 113.2)
    >>> lat, lon = to_wgs84(*wgs84_to_bd09(35.2, 113.2), "bd09")
    >>> round(lat, 6), round(lon, 6)
    (35.2, 113.2)
    """
    if datum == "wgs84":
        return lat, lon
    if datum == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    if datum == "bd09":
        return bd09_to_wgs84(lat, lon)
    msg = f"datum: expected one of {', '.join(DATUMS)}, got {datum!r}"
    raise ValueError(msg)
