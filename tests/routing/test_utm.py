"""routing.utm against pyproj, the projection it stands in for at serve time."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Transformer

from routing.utm import UTM, zone_of

ZONES = ["EPSG:32632", "EPSG:32733", "EPSG:32601", "EPSG:32660"]


def _pyproj(crs: str) -> tuple[Transformer, Transformer]:
    return Transformer.from_crs(4326, crs, always_xy=True), Transformer.from_crs(crs, 4326, always_xy=True)


@pytest.mark.parametrize("crs", ZONES)
def test_within_a_zone_and_far_beyond_it_positions_agree_with_pyproj_to_a_micrometre(crs):
    forward, inverse = _pyproj(crs)
    utm = UTM(crs)
    rng = np.random.default_rng(16)
    meridian = math.degrees(utm.central_meridian)
    lon, lat = meridian + rng.uniform(-40, 40, 5000), rng.uniform(-89.9, 89.9, 5000)
    x, y = forward.transform(lon, lat)
    ours_x, ours_y = utm.forward(lon, lat)
    assert np.array_equal(np.isfinite(ours_x), np.isfinite(x))  # the same points lie beyond the projection's reach
    finite = np.isfinite(x)
    assert np.max(np.hypot(ours_x - x, ours_y - y)[finite]) < 1e-6
    back_lon, back_lat = utm.inverse(x[finite], y[finite])
    their_lon, their_lat = inverse.transform(x[finite], y[finite])
    assert np.max(np.abs(back_lon - their_lon)) < 1e-10 and np.max(np.abs(back_lat - their_lat)) < 1e-10
    for i in range(0, 5000, 50):  # the scalar path (one fix at a time) gives the same numbers
        scalar = utm.forward(float(lon[i]), float(lat[i]))
        if finite[i]:
            assert scalar == (pytest.approx(x[i], abs=1e-6), pytest.approx(y[i], abs=1e-6))
            assert utm.inverse(float(x[i]), float(y[i])) == (pytest.approx(their_lon[np.sum(finite[:i])], abs=1e-10),
                                                             pytest.approx(their_lat[np.sum(finite[:i])], abs=1e-10))
        else:
            assert scalar == (math.inf, math.inf)


@pytest.mark.parametrize(("lon", "lat"), [(7.7690, 49.4447), (9.0, 90.0), (9.0, -90.0), (180.0, 0.0), (-89.6, 1e-38),
                                          (-89.6, 10.0), (99.0, 0.0), (-81.0, 0.0), (-1e-148, -55.17)])
def test_edge_cases_are_as_pyproj_has_them(lon, lat):
    forward, _ = _pyproj("EPSG:32632")
    expected = forward.transform(lon, lat)
    for ours in (UTM("EPSG:32632").forward(lon, lat), UTM("EPSG:32632").forward(np.array([lon]), np.array([lat]))):
        ours = (float(np.ravel(ours[0])[0]), float(np.ravel(ours[1])[0]))
        if math.isfinite(expected[0]):
            assert ours == (pytest.approx(expected[0], abs=1e-6), pytest.approx(expected[1], abs=1e-6))
        else:
            assert ours == (math.inf, math.inf)


def test_only_wgs84_utm_zones_are_taken():
    assert zone_of("EPSG:32632") == (32, True) and zone_of(32733) == (33, False) and zone_of("epsg:32601") == (1, True)
    for crs in ("EPSG:4326", "EPSG:3857", "EPSG:32661", "EPSG:32700"):
        with pytest.raises(ValueError):
            zone_of(crs)
