"""WGS 84 to UTM and back, for the walk graph's metric x/y: Krüger's series to the sixth order in n (Karney 2011,
"Transverse Mercator with an accuracy of a few nanometers"), the series PROJ's own UTM uses.

A server projects every snapped position and every GPS fix; pyproj would do it as well, but importing it costs a
server 12 MB (PROJ, its database and libraries) for these few lines. pyproj stays the import's tool (routing.graph);
tests/routing/test_utm.py holds this module to it.
"""

from __future__ import annotations

import cmath
import math
from typing import Any

import numpy as np

_A = 6378137.0  # WGS 84 semi-major axis, metres
_F = 1 / 298.257223563  # WGS 84 flattening
_K0 = 0.9996  # UTM scale on the central meridian
_FALSE_EASTING = 500_000.0
_FALSE_NORTHING_SOUTH = 10_000_000.0

_N = _F / (2 - _F)
_E = math.sqrt(_F * (2 - _F))
_RECTIFYING = _A / (1 + _N) * (1 + _N**2 / 4 + _N**4 / 64 + _N**6 / 256) * _K0  # k0 times the rectifying radius
_n = _N
_ALPHA = (
    _n / 2 - 2 * _n**2 / 3 + 5 * _n**3 / 16 + 41 * _n**4 / 180 - 127 * _n**5 / 288 + 7891 * _n**6 / 37800,
    13 * _n**2 / 48 - 3 * _n**3 / 5 + 557 * _n**4 / 1440 + 281 * _n**5 / 630 - 1983433 * _n**6 / 1935360,
    61 * _n**3 / 240 - 103 * _n**4 / 140 + 15061 * _n**5 / 26880 + 167603 * _n**6 / 181440,
    49561 * _n**4 / 161280 - 179 * _n**5 / 168 + 6601661 * _n**6 / 7257600,
    34729 * _n**5 / 80640 - 3418889 * _n**6 / 1995840,
    212378941 * _n**6 / 319334400,
)
_BETA = (
    _n / 2 - 2 * _n**2 / 3 + 37 * _n**3 / 96 - _n**4 / 360 - 81 * _n**5 / 512 + 96199 * _n**6 / 604800,
    _n**2 / 48 + _n**3 / 15 - 437 * _n**4 / 1440 + 46 * _n**5 / 105 - 1118711 * _n**6 / 3870720,
    17 * _n**3 / 480 - 37 * _n**4 / 840 - 209 * _n**5 / 4480 + 5569 * _n**6 / 90720,
    4397 * _n**4 / 161280 - 11 * _n**5 / 504 - 830251 * _n**6 / 7257600,
    4583 * _n**5 / 161280 - 108847 * _n**6 / 3991680,
    20648693 * _n**6 / 638668800,
)
# Beyond this |eta| (easting over k0 times the rectifying radius) the series no longer converges (PROJ's own bound):
# such a point, some 90 degrees of longitude from the zone's meridian, has no x/y (inf, as pyproj gives it).
_LIMIT = 2.623395162778
_POLE_Y = _RECTIFYING * math.pi / 2  # northing of the pole


def zone_of(crs: Any) -> tuple[int, bool]:
    """(zone number, north) of a WGS 84 UTM CRS given as an EPSG code, "EPSG:326zz" or "epsg:327zz"."""
    code = int(str(crs).upper().removeprefix("EPSG:"))
    if not (32601 <= code <= 32660 or 32701 <= code <= 32760):
        raise ValueError(f"not a WGS 84 UTM zone: {crs!r}")
    return code % 100, code < 32700


class UTM:
    """One UTM zone: `forward(lon, lat)` → (x, y) and `inverse(x, y)` → (lon, lat), of floats or numpy arrays.

    The scalar path is plain `math` (a fix a second per walker goes through it); arrays go through numpy."""

    def __init__(self, crs: Any) -> None:
        zone, north = zone_of(crs)
        self.central_meridian = math.radians(zone * 6 - 183)
        self.false_northing = 0.0 if north else _FALSE_NORTHING_SOUTH

    def forward(self, lon: Any, lat: Any) -> tuple[Any, Any]:
        if isinstance(lon, float | int) and isinstance(lat, float | int):
            return self._forward_scalar(float(lon), float(lat))
        with np.errstate(divide="ignore", invalid="ignore"):  # inf and nan stand for points beyond the zone's reach
            phi = np.radians(np.asarray(lat, dtype=float))
            dlam = (np.radians(np.asarray(lon, dtype=float)) - self.central_meridian + math.pi) % (2 * math.pi) \
                - math.pi
            sin_phi = np.sin(phi)
            tau = np.sinh(np.arctanh(sin_phi) - _E * np.arctanh(_E * sin_phi))  # tan of the conformal latitude
            zeta = np.arctan2(tau, np.cos(dlam)) + 1j * np.arctanh(np.sin(dlam) / np.sqrt(1 + tau * tau))
            total = zeta + _series(_ALPHA, np.sin(2 * zeta), np.cos(2 * zeta))
            eta = total.imag
            far = ~(np.abs(eta) <= _LIMIT)
            x = np.where(far, np.inf, _FALSE_EASTING + _RECTIFYING * eta)
            y = np.where(far, np.inf, self.false_northing + _RECTIFYING * total.real)
        return x, y

    def _forward_scalar(self, lon: float, lat: float) -> tuple[float, float]:
        dlam = (math.radians(lon) - self.central_meridian + math.pi) % (2 * math.pi) - math.pi
        sin_phi = math.sin(math.radians(lat))
        if abs(sin_phi) >= 1:
            return _FALSE_EASTING, self.false_northing + math.copysign(_POLE_Y, sin_phi)
        tau = math.sinh(math.atanh(sin_phi) - _E * math.atanh(_E * sin_phi))
        ratio = math.sin(dlam) / math.sqrt(1 + tau * tau)
        if abs(ratio) >= 1:
            return math.inf, math.inf
        zeta = complex(math.atan2(tau, math.cos(dlam)), math.atanh(ratio))
        total = zeta + _series(_ALPHA, cmath.sin(2 * zeta), cmath.cos(2 * zeta))
        if not abs(total.imag) <= _LIMIT:
            return math.inf, math.inf
        return _FALSE_EASTING + _RECTIFYING * total.imag, self.false_northing + _RECTIFYING * total.real

    def inverse(self, x: Any, y: Any) -> tuple[Any, Any]:
        if isinstance(x, float | int) and isinstance(y, float | int):
            return self._inverse_scalar(float(x), float(y))
        with np.errstate(divide="ignore", invalid="ignore"):
            eta = (np.asarray(x, dtype=float) - _FALSE_EASTING) / _RECTIFYING
            zeta = (np.asarray(y, dtype=float) - self.false_northing) / _RECTIFYING + 1j * eta
            prime = zeta - _series(_BETA, np.sin(2 * zeta), np.cos(2 * zeta))
            sinh_eta, cos_xi = np.sinh(prime.imag), np.cos(prime.real)
            tau = _latitude_tan(np.sin(prime.real) / np.sqrt(sinh_eta * sinh_eta + cos_xi * cos_xi), np)
            far = ~(np.abs(eta) <= _LIMIT)
            lon = (np.degrees(self.central_meridian + np.arctan2(sinh_eta, cos_xi)) + 180) % 360 - 180
            return np.where(far, np.inf, lon), np.where(far, np.inf, np.degrees(np.arctan(tau)))

    def _inverse_scalar(self, x: float, y: float) -> tuple[float, float]:
        eta = (x - _FALSE_EASTING) / _RECTIFYING
        if not abs(eta) <= _LIMIT:
            return math.inf, math.inf
        zeta = complex((y - self.false_northing) / _RECTIFYING, eta)
        prime = zeta - _series(_BETA, cmath.sin(2 * zeta), cmath.cos(2 * zeta))
        sinh_eta, cos_xi = math.sinh(prime.imag), math.cos(prime.real)
        tau = _latitude_tan(math.sin(prime.real) / math.sqrt(sinh_eta * sinh_eta + cos_xi * cos_xi), math)
        lon = (math.degrees(self.central_meridian + math.atan2(sinh_eta, cos_xi)) + 180) % 360 - 180
        return lon, math.degrees(math.atan(tau))


def _series(coefficients: tuple[float, ...], sin_2z: Any, cos_2z: Any) -> Any:
    """sum of c_j sin(2 j z) for j = 1..6, by Clenshaw's recurrence from sin 2z and cos 2z (two sines, not six)."""
    twice_cos = 2 * cos_2z
    later = latest = 0
    for coefficient in reversed(coefficients):
        later, latest = latest, coefficient + twice_cos * latest - later
    return latest * sin_2z


def _latitude_tan(conformal_tan: Any, xp: Any) -> Any:
    """tan of the latitude whose conformal latitude has tan `conformal_tan`: Newton's method (Karney 2011, eq. 19-21),
    at full double precision after two steps."""
    atanh = math.atanh if xp is math else np.arctanh
    tau = conformal_tan
    for _ in range(2):
        root = xp.sqrt(1 + tau * tau)
        sigma = xp.sinh(_E * atanh(_E * tau / root))
        conformal = tau * xp.sqrt(1 + sigma * sigma) - sigma * root
        tau = tau + (conformal_tan - conformal) * (1 + (1 - _E * _E) * tau * tau) / (
            (1 - _E * _E) * xp.sqrt(1 + conformal * conformal) * root)
    return tau
