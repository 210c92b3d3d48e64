"""Slow, obvious reference implementations of kernels/geometry.py (shapely 2).

Distances: shapely.distance between the footprints.  Candidates: every pair,
brute force.  Sectors: the sector regions built as large shapely polygons and
intersected with the exposed footprint.
"""

from __future__ import annotations

import math

import shapely
from shapely.geometry import Polygon

FAR_M = 1.0e6  # the sector polygons reach this far [m]


def pair_distance(a, b) -> float:
    """Nearest-point distance between two footprints [m]."""
    return float(shapely.distance(a, b))


def pairs_within_radius(geoms, pes, radius_m):
    """Every (i, j != i) with i in pes and distance <= radius_m[i], brute force."""
    out = []
    for i in pes:
        for j in range(len(geoms)):
            if j == i:
                continue
            d = pair_distance(geoms[i], geoms[j])
            if d <= radius_m[i]:
                out.append((int(i), j, d))
    return out


def _frame(geom, bearing_deg):
    b = math.radians(bearing_deg)
    u_axis = (math.sin(b), math.cos(b))
    v_axis = (math.cos(b), -math.sin(b))
    pts = list(shapely.get_coordinates(geom))
    us = [x * u_axis[0] + y * u_axis[1] for x, y in pts]
    vs = [x * v_axis[0] + y * v_axis[1] for x, y in pts]
    return u_axis, v_axis, min(us), max(us), min(vs), max(vs)


def _to_xy(u_axis, v_axis, u, v):
    return (u * u_axis[0] + v * v_axis[0], u * u_axis[1] + v * v_axis[1])


def sector_regions(geom, bearing_deg, front_half_angle_deg=60.0, rear_half_angle_deg=45.0):
    """(front, side, rear) regions of an earth-covered footprint as polygons."""
    ua, va, umin, umax, vmin, vmax = _frame(geom, bearing_deg)
    tf = math.tan(math.radians(front_half_angle_deg))
    tr = math.tan(math.radians(rear_half_angle_deg))
    front = Polygon([_to_xy(ua, va, u, v) for u, v in [
        (umax, vmin), (umax, vmax), (umax + FAR_M, vmax + FAR_M * tf),
        (umax + FAR_M, vmin - FAR_M * tf)]])
    rear = Polygon([_to_xy(ua, va, u, v) for u, v in [
        (umin, vmax), (umin, vmin), (umin - FAR_M, vmin - FAR_M * tr),
        (umin - FAR_M, vmax + FAR_M * tr)]])
    big = FAR_M * 100
    world = Polygon([(-big, -big), (big, -big), (big, big), (-big, big)])
    side = world.difference(front).difference(rear)
    return front, side, rear


def sector_mask(pes_geom, es_geom, bearing_deg, front_half_angle_deg=60.0,
                rear_half_angle_deg=45.0, tol_m=0.0) -> int:
    """1 front | 2 side | 4 rear: the sectors the exposed footprint touches."""
    front, side, rear = sector_regions(pes_geom, bearing_deg, front_half_angle_deg,
                                       rear_half_angle_deg)
    m = 0
    if shapely.distance(front, es_geom) <= tol_m:
        m |= 1
    if shapely.distance(side, es_geom) <= tol_m:
        m |= 2
    if shapely.distance(rear, es_geom) <= tol_m:
        m |= 4
    return m


def cone_hit(pes_geom, es_geom, bearing_deg, half_angle_deg=30.0, tol_m=0.0) -> bool:
    """The exposed footprint meets the +-half_angle cone from the door's centre."""
    ua, va, _umin, umax, vmin, vmax = _frame(pes_geom, bearing_deg)
    vc = 0.5 * (vmin + vmax)
    t = math.tan(math.radians(half_angle_deg))
    cone = Polygon([_to_xy(ua, va, u, v) for u, v in [
        (umax, vc), (umax + FAR_M, vc + FAR_M * t), (umax + FAR_M, vc - FAR_M * t)]])
    return bool(shapely.distance(cone, es_geom) <= tol_m)
