"""Coordinates for Chinese map apps, and the links that open them.

GPS and OpenStreetMap use WGS-84. Maps published in mainland China must use GCJ-02 (Amap,
Tencent and most apps), an obfuscated datum a few hundred metres off WGS-84; Baidu adds its own
BD-09 on top of GCJ-02. The conversions below are the published closed-form approximation
(the same formulas as the ``coordtransform`` and ``eviltransform`` libraries); outside
mainland China (a coarse bounding box, as those libraries use) GCJ-02 equals WGS-84.

Settings (environment):

- ``SALESDESK_COORDINATES``: what the customer file holds, ``wgs84`` (default) or ``gcj02``.
  Coordinates are converted from that to what each app takes.
- ``SALESDESK_MAP_APP``: the deployment's default map app for navigation links, one of
  ``MAP_APPS`` (default ``amap``); a user may pick another on the Route planning page.
- ``SALESDESK_MAP_TILES``: an XYZ tile URL template (``https://.../{z}/{x}/{y}.png``) for the
  page map when online; empty: the map is drawn without tiles (works offline). Amap's tiles are
  in GCJ-02, so the page shifts points to GCJ-02 when ``SALESDESK_MAP_TILES_DATUM=gcj02``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from urllib.parse import quote

from models.core.errors import UserError

_A = 6378245.0                 # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses
_EE = 0.00669342162296594323   # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0

ENV_COORDINATES = "SALESDESK_COORDINATES"
ENV_MAP_APP = "SALESDESK_MAP_APP"
ENV_TILES = "SALESDESK_MAP_TILES"
ENV_TILES_DATUM = "SALESDESK_MAP_TILES_DATUM"
DATUMS = ("wgs84", "gcj02")
MAP_APPS = {"amap": "Amap (高德)", "baidu": "Baidu Maps (百度)", "apple": "Apple Maps",
            "google": "Google Maps"}
DEFAULT_MAP_APP = "amap"


def outside_china(lat: float, lon: float) -> bool:
    """Outside the box the GCJ-02 offset applies to (as coordtransform and eviltransform)."""
    return not (73.66 < lon < 135.05 and 3.86 < lat < 53.55)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) \
        * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) \
        * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) in WGS-84 to GCJ-02; unchanged outside mainland China."""
    if outside_china(lat, lon):
        return lat, lon
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(radlat) * math.pi)
    return lat + dlat, lon + dlon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) in GCJ-02 to Baidu's BD-09."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (for checking conversions)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(a)))


# --- settings --------------------------------------------------------------------------------

def source_datum(env: Mapping[str, str] | None = None) -> str:
    """What the customer file's coordinates are in (``SALESDESK_COORDINATES``)."""
    env = os.environ if env is None else env
    value = (env.get(ENV_COORDINATES) or "wgs84").strip().lower().replace("-", "")
    if value not in DATUMS:
        raise UserError(f"{ENV_COORDINATES} is {env.get(ENV_COORDINATES)!r}: use wgs84 (GPS, "
                        "OpenStreetMap) or gcj02 (coordinates taken from Amap or Tencent).")
    return value


def default_map_app(env: Mapping[str, str] | None = None) -> str:
    """The deployment's default map app (``SALESDESK_MAP_APP``)."""
    env = os.environ if env is None else env
    value = (env.get(ENV_MAP_APP) or DEFAULT_MAP_APP).strip().lower()
    if value not in MAP_APPS:
        raise UserError(f"{ENV_MAP_APP} is {env.get(ENV_MAP_APP)!r}: use one of "
                        f"{', '.join(MAP_APPS)}.")
    return value


def tile_url(env: Mapping[str, str] | None = None) -> str | None:
    """The XYZ tile URL template for the page map (``SALESDESK_MAP_TILES``), or None."""
    env = os.environ if env is None else env
    value = (env.get(ENV_TILES) or "").strip()
    if not value:
        return None
    if not value.startswith(("https://", "http://")) or not all(
            part in value for part in ("{z}", "{x}", "{y}")):
        raise UserError(f"{ENV_TILES} must be an http(s) URL with {{z}}, {{x}} and {{y}} "
                        f"(e.g. https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png); got "
                        f"{value!r}.")
    return value


def tiles_datum(env: Mapping[str, str] | None = None) -> str:
    """The datum of the tiles (``SALESDESK_MAP_TILES_DATUM``): wgs84 (OSM) or gcj02 (Amap)."""
    env = os.environ if env is None else env
    value = (env.get(ENV_TILES_DATUM) or "wgs84").strip().lower().replace("-", "")
    return value if value in DATUMS else "wgs84"


def to_gcj02(lat: float, lon: float, datum: str) -> tuple[float, float]:
    """A point of the customer file (in ``datum``) in GCJ-02."""
    return (lat, lon) if datum == "gcj02" else wgs84_to_gcj02(lat, lon)


def to_wgs84(lat: float, lon: float, datum: str) -> tuple[float, float]:
    """A point of the customer file (in ``datum``) in WGS-84 (GCJ-02 inverted by iteration;
    within centimetres)."""
    if datum == "wgs84":
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(20):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        wlat, wlon = wlat - (glat - lat), wlon - (glon - lon)
    return wlat, wlon


# --- links -----------------------------------------------------------------------------------

def amap_uri(lat: float, lon: float, name: str, datum: str = "wgs84") -> str:
    """Amap's URI API: driving directions to the point (GCJ-02, ``coordinate=gaode``)."""
    glat, glon = to_gcj02(lat, lon, datum)
    return (f"https://uri.amap.com/navigation?to={glon:.6f},{glat:.6f},{quote(name, safe='')}"
            "&mode=car&coordinate=gaode&callnative=1&src=salesdesk")


def baidu_uri(lat: float, lon: float, name: str, datum: str = "wgs84") -> str:
    """Baidu's URI API: driving directions to the point in BD-09 (``coord_type=bd09ll``)."""
    blat, blon = gcj02_to_bd09(*to_gcj02(lat, lon, datum))
    destination = quote(f"latlng:{blat:.6f},{blon:.6f}|name:{name}", safe=":,|")
    return (f"https://api.map.baidu.com/direction?destination={destination}&mode=driving"
            "&coord_type=bd09ll&region=&output=html&src=salesdesk")


def apple_uri(lat: float, lon: float, name: str, datum: str = "wgs84") -> str:
    """Apple Maps (in China it shows Amap's data and takes GCJ-02)."""
    glat, glon = to_gcj02(lat, lon, datum)
    return f"https://maps.apple.com/?daddr={glat:.6f},{glon:.6f}&dirflg=d&q={quote(name)}"


def google_uri(lat: float, lon: float, name: str, datum: str = "wgs84") -> str:
    """Google Maps directions (WGS-84; Google's China map itself is GCJ-02, but its
    directions API takes WGS-84 points)."""
    wlat, wlon = to_wgs84(lat, lon, datum)
    return (f"https://www.google.com/maps/dir/?api=1&destination={wlat:.6f},{wlon:.6f}"
            "&travelmode=driving")


_URIS = {"amap": amap_uri, "baidu": baidu_uri, "apple": apple_uri, "google": google_uri}


def nav_uri(app: str, lat: float, lon: float, name: str, datum: str = "wgs84") -> str:
    """The link that opens ``app`` with driving directions to the point."""
    if app not in _URIS:
        raise UserError(f"Unknown map app {app!r}: use one of {', '.join(MAP_APPS)}.")
    return _URIS[app](lat, lon, name or "", datum)


def nav_links(lat: float, lon: float, name: str, datum: str = "wgs84") -> dict[str, str]:
    """Every app's link to the point: app -> URI."""
    return {app: nav_uri(app, lat, lon, name, datum) for app in MAP_APPS}
