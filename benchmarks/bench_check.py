"""The whole-depot check: depotsafe versus what a user would otherwise write.

Run: ``python benchmarks/bench_check.py [--sizes 1000 10000 100000] [--yards 1000 10000 40000]
[--rows 2500 40000] [--repeat 3]``

Depots of three kinds (depotsafe.synthetic): the realistic synthetic depots
(``synthetic_depot``, seed 1) of each size; dense yards (``dense_yard``: stacks
12 m x 20 m, 10 m apart, 0.5-10 t HD 1.1 each, one aggregation group, 2,000
houses around); igloo rows (``igloo_rows``: doors north, 40 m side by side, rows
120 m apart, 1-10 t each, houses 14 km away: a plain compliant depot where the
licence search dominates).  For each:

* **depotsafe**: ``check_depot`` in full: stock, aggregation groups, candidate
  pairs, sectors and faces, required distances and verdicts of every pair, the
  licence of every storehouse for every hazard division, headroom.
* **shapely pipeline**: a plain shapely 2 program that computes only the pair
  verdicts: ``STRtree.query(predicate="dwithin")`` with depotsafe's own search
  radius per PES, vectorised ``shapely.distance``, sectors with vectorised
  ``shapely.intersects`` against wedge polygons, then the required distance of
  each pair from the scalar rules engine (``depotsafe.qd.required_distance_m``,
  resolved rules cached).  No aggregation groups, no licences: less work than
  depotsafe does.
* **per-pair loop**: the obvious Python loop (every PES against every site,
  ``shapely.distance`` and the scalar engine per pair) on a sample of PES,
  scaled to all of them.

Each method runs in its own subprocess after a warm-up on a 200-site depot (no
JIT compilation is timed); peak memory is the process's peak resident set
(VmHWM; Numba and GEOS allocate outside Python's tracing) minus the resident
set before the timed run, i.e. what the method itself needs beyond the depot.
The verdicts of the shapely pipeline are compared with depotsafe's on every
pair outside an aggregation group (depotsafe lists the violations and near
misses: a pair it does not list must comply).

* **whole process**: ``depotsafe check LAYOUT --out-json FILE`` run as a command
  (layout written beforehand, not timed): wall time, CPU time (user + system),
  peak resident set of the process (``wait4`` rusage) and the size of the JSON it
  writes.  The machine may be shared: the load average after each run is printed
  with the table (wall time grows with it, CPU time hardly).

The shapely pipeline and the per-pair loop check every PES at its own NEQ,
pair by pair: on the dense yards and igloo rows they are run up to ``--shapely-max``
sites only (beyond, the table shows a dash; the yard of 10,000 stacks took the
pipeline over 11 minutes a run; on 40,000 igloos in rows its first run had not
ended after 7 minutes).

* **shapely pipeline, whole process**: the same pipeline as a script run on the
  layout file: ``json`` and ``shapely.from_geojson`` read it, the pairs are judged
  as above and written as JSON; timed and measured like depotsafe's whole process.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np


def _vm(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _collection(spec: str):
    """The GeoJSON of a depot spec: ``N`` (synthetic), ``yardN`` (dense yard) or ``rowsN`` (igloo rows)."""
    from depotsafe import synthetic

    if spec.startswith("yard"):
        return synthetic.dense_yard(int(spec[4:]))
    if spec.startswith("rows"):
        return synthetic.igloo_rows(int(spec[4:]))
    return synthetic.synthetic_depot(int(spec), seed=1)


def _depot(spec: str):
    from depotsafe.layout import read_layout

    return read_layout(_collection(spec))


def run_process(spec: str) -> dict:
    """``depotsafe check`` as a whole process: wall time, peak RSS, JSON size."""
    import shutil
    import subprocess
    import tempfile

    exe = shutil.which("depotsafe") or str(Path(sys.executable).with_name("depotsafe"))
    with tempfile.TemporaryDirectory() as tmp:
        layout = Path(tmp) / "layout.geojson"
        layout.write_text(json.dumps(_collection(spec)))
        out = Path(tmp) / "out.json"
        t = time.perf_counter()
        proc = subprocess.Popen([exe, "check", str(layout), "--out-json", str(out)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=os.environ.copy())
        _pid, status, usage = os.wait4(proc.pid, 0)
        dt = time.perf_counter() - t
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise RuntimeError(f"depotsafe check exited {code}: {proc.stderr.read().decode()}")
        return {"seconds": dt, "peak_mb": usage.ru_maxrss / 1024.0, "json_mb": out.stat().st_size / 2**20,
                "exit": code, "cpu_s": usage.ru_utime + usage.ru_stime, "load": os.getloadavg()[0]}


def _read_plain(path: str):
    """A GeoJSON layout read the way a shapely user would: ``json`` for the properties,
    ``shapely.from_geojson`` for the geometries (one call), plain records for the sites."""
    import types

    import shapely

    text = Path(path).read_text()
    features = json.loads(text)["features"]
    geoms = shapely.get_parts(shapely.from_geojson(text))
    if geoms.size != len(features):
        raise ValueError("one geometry per feature expected")
    sites = []
    for f, g in zip(features, geoms, strict=True):
        p = f["properties"]
        sites.append(types.SimpleNamespace(
            id=p["id"], kind=p["kind"], geometry=g, front_bearing_deg=p.get("front_bearing_deg"),
            stock_entries=p.get("stock", []), traffic=p.get("traffic"), sparse=bool(p.get("sparse", False)),
            evacuable=bool(p.get("evacuable", False)), door_barricade=bool(p.get("door_barricade", False))))
    return types.SimpleNamespace(sites=sites)


def pipeline_main(layout: str, out: str) -> int:
    """The shapely pipeline as a whole process: read the layout, judge every pair, write the pairs."""
    depot = _read_plain(layout)
    _info, (pi, pj, d, req) = run_shapely(depot)
    ids = [s.id for s in depot.sites]
    with open(out, "w") as fh:
        json.dump({"pairs": [{"pes": ids[a], "es": ids[b], "distance_m": round(float(dd), 2),
                              "required_m": round(float(rr), 2), "complies": bool(dd >= rr)}
                             for a, b, dd, rr in zip(pi.tolist(), pj.tolist(), d, req, strict=True)]}, fh)
    return 0


def _wait_timed(cmd: list[str]) -> tuple[float, object, int, str]:
    import subprocess

    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    _pid, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t
    return dt, usage, os.waitstatus_to_exitcode(status), proc.stderr.read().decode()


def run_pipeline_process(spec: str) -> dict:
    """The shapely pipeline as a whole process (``--pipeline LAYOUT OUT``): read, judge, write its pairs."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        layout = Path(tmp) / "layout.geojson"
        layout.write_text(json.dumps(_collection(spec)))
        out = Path(tmp) / "pairs.json"
        dt, usage, code, err = _wait_timed([sys.executable, __file__, "--pipeline", str(layout), str(out)])
        if code != 0:
            raise RuntimeError(f"shapely pipeline exited {code}: {err}")
        return {"seconds": dt, "peak_mb": usage.ru_maxrss / 1024.0, "json_mb": out.stat().st_size / 2**20,
                "cpu_s": usage.ru_utime + usage.ru_stime, "load": os.getloadavg()[0]}


def run_depotsafe(depot):
    from depotsafe.check import check_depot

    result = check_depot(depot)
    return {"pairs": int(result.pair_pes.size), "violations": result.n_violations}, result


def run_depotsafe_verdicts(depot):
    from depotsafe.check import check_depot

    result = check_depot(depot, licences=False)
    return {"pairs": int(result.pair_pes.size), "violations": result.n_violations}, result


def _wedges(depot, idx, half_front_deg=60.0, half_rear_deg=45.0, reach=1e5):
    """Front and rear sector polygons of earth-covered PES (AASTP-1 Annex I-A Note 1)."""
    import shapely

    front, rear = [], []
    for i in idx:
        s = depot.sites[i]
        b = math.radians(s.front_bearing_deg)
        ux, uy = math.sin(b), math.cos(b)
        vx, vy = uy, -ux
        xy = np.asarray(s.geometry.exterior.coords)
        u = xy[:, 0] * ux + xy[:, 1] * uy
        v = xy[:, 0] * vx + xy[:, 1] * vy
        umin, umax, vmin, vmax = u.min(), u.max(), v.min(), v.max()

        def pt(uu, vv, ux=ux, uy=uy, vx=vx, vy=vy):
            return (uu * ux + vv * vx, uu * uy + vv * vy)

        tf = math.tan(math.radians(half_front_deg))
        tr = math.tan(math.radians(half_rear_deg))
        front.append(shapely.Polygon([pt(umax, vmin), pt(umax, vmax), pt(umax + reach, vmax + reach * tf),
                                      pt(umax + reach, vmin - reach * tf)]))
        rear.append(shapely.Polygon([pt(umin, vmin), pt(umin - reach, vmin - reach * tr),
                                     pt(umin - reach, vmax + reach * tr), pt(umin, vmax)]))
    return np.array(front, dtype=object), np.array(rear, dtype=object)


def _faces(depot, pes_i, es_j):
    """Sector masks (1 front, 2 side, 4 rear) of es_j seen from earth-covered pes_i (shapely)."""
    import shapely

    mask = np.zeros(pes_i.size, dtype=np.int64)
    ec = np.array([depot.sites[i].front_bearing_deg is not None for i in pes_i])
    if not ec.any():
        return mask
    uniq, inv = np.unique(pes_i[ec], return_inverse=True)
    front, rear = _wedges(depot, uniq)
    g = np.array([depot.sites[j].geometry for j in es_j[ec]], dtype=object)
    f = shapely.intersects(front[inv], g)
    r = shapely.intersects(rear[inv], g)
    side = ~shapely.covered_by(g, shapely.union(front[inv], rear[inv]))
    mask[ec] = f * 1 + side * 2 + r * 4
    return mask


def _rule_for(cache, rs, division, pes, es, pf, ef):
    from depotsafe.qd import Relation, resolve_rule

    key = (division, pes.kind, es.kind, pf, ef, es.traffic, es.sparse, es.evacuable, es.door_barricade)
    rule = cache.get(key)
    if rule is None:
        from depotsafe.kinds import kinds

        k = kinds()[es.kind]
        rel = Relation(pes.kind, es.kind, pf, ef, es.traffic if es.kind == "public_traffic_route" else None,
                       bool(es.sparse) and k.holds_explosives == "no", bool(es.evacuable) and k.holds_explosives == "no",
                       bool(es.door_barricade) and k.earth_covered)
        rule = resolve_rule(rs, division, rel)
        cache[key] = rule
    return rule


def _scalar_required(depot, rs, cache, i, j, pmask, emask):
    from depotsafe.qd import required_distance_m

    pes, es = depot.sites[i], depot.sites[j]
    neq = sum(e["neq_kg"] for e in pes.stock_entries)
    faces = [(1, "front"), (2, "side"), (4, "rear")]
    pfs = [f for b, f in faces if pmask & b] if pes.front_bearing_deg is not None else [None]
    efs = [f for b, f in faces if emask & b] if es.front_bearing_deg is not None else [None]
    return max(required_distance_m(rs, _rule_for(cache, rs, "1.1", pes, es, pf, ef), neq)[0]
               for pf in pfs for ef in efs)


def _pes_and_radius(depot):
    from depotsafe.check import CaseType, search_radius_m
    from depotsafe.rules import load_rule_set

    rs = load_rule_set("iatg")
    pes = np.array([i for i, s in enumerate(depot.sites) if s.stock_entries], dtype=np.int64)
    neq = np.array([sum(e["neq_kg"] for e in depot.sites[i].stock_entries) for i in pes])
    return rs, pes, search_radius_m(rs, CaseType("1.1", ()), neq)


def run_shapely(depot):
    import shapely

    rs, pes, radius = _pes_and_radius(depot)
    geoms = np.array([s.geometry for s in depot.sites], dtype=object)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms[pes], predicate="dwithin", distance=radius)
    pi, pj = pes[a], b
    keep = pi != pj
    pi, pj = pi[keep], pj[keep]
    d = shapely.distance(geoms[pi], geoms[pj])
    pm = _faces(depot, pi, pj)
    em = _faces(depot, pj, pi)
    cache: dict = {}
    req = np.array([_scalar_required(depot, rs, cache, int(i), int(j), int(x), int(y))
                    for i, j, x, y in zip(pi, pj, pm, em, strict=True)])
    return {"pairs": int(pi.size), "violations": int(np.count_nonzero(d < req))}, (pi, pj, d, req)


def run_loop(depot, sample_pes=40):
    import shapely

    rs, pes, radius = _pes_and_radius(depot)
    rng = np.random.default_rng(0)
    chosen = rng.choice(pes.size, min(sample_pes, pes.size), replace=False)
    cache: dict = {}
    fails = 0
    for k in chosen:
        i = int(pes[k])
        gi = depot.sites[i].geometry
        for j, s in enumerate(depot.sites):
            if j == i:
                continue
            dist = shapely.distance(gi, s.geometry)
            if dist > radius[k]:
                continue
            pm = int(_faces(depot, np.array([i]), np.array([j]))[0])
            em = int(_faces(depot, np.array([j]), np.array([i]))[0])
            fails += dist < _scalar_required(depot, rs, cache, i, j, pm, em)
    return {"sampled_pes": int(chosen.size), "all_pes": int(pes.size), "scale": pes.size / chosen.size,
            "violations_in_sample": int(fails)}, None


METHODS = {"depotsafe": run_depotsafe, "verdicts": run_depotsafe_verdicts, "shapely": run_shapely, "loop": run_loop}


def one(spec: str, method: str, repeat: int) -> dict:
    # warm-up: compile (or load from the cache) every kernel, parallel ones included
    from depotsafe.layout import read_layout
    from depotsafe.synthetic import synthetic_depot
    from depotsafe.warmup import warm_up

    warm_up()
    small = read_layout(synthetic_depot(200, seed=2))
    if method != "loop":
        METHODS[method](small)
    depot = _depot(spec)
    n = len(depot.sites)
    base = _vm("VmRSS")
    best, out = math.inf, None
    for _ in range(repeat if method != "loop" else 1):
        t = time.perf_counter()
        info, res = METHODS[method](depot)
        dt = time.perf_counter() - t
        if dt < best:
            best, out = dt, info
    out = dict(out)
    if method == "loop":
        out["seconds_sample"] = best
        best *= out["scale"]
    out.update(seconds=best, peak_mb=_vm("VmHWM") - base, sites=n)
    if method == "shapely":
        # compare verdicts with depotsafe on every pair outside an aggregation group
        from depotsafe.check import check_depot

        pi, pj, d, req = res
        ours = check_depot(depot)
        ok = {(int(a), int(b)): bool(dd >= rr) for a, b, dd, rr, g in
              zip(ours.pair_pes, ours.pair_es, ours.pair_distance_m, ours.pair_required_m, ours.pair_group,
                  strict=True) if g < 0}
        index = {site.id: i for i, site in enumerate(depot.sites)}
        grouped = {index[sid] for g in ours.groups for sid in g}
        mism = 0
        for a, b, dd, rr in zip(pi.tolist(), pj.tolist(), d, req, strict=True):
            if a in grouped:
                continue
            verdict = bool(dd >= rr)
            if (a, b) in ok:
                mism += ok[(a, b)] != verdict
            else:
                mism += not verdict  # depotsafe did not list it: it must comply
        out["verdict_mismatches"] = int(mism)
    return out


def main() -> int:
    import argparse
    import subprocess

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    ap.add_argument("--yards", type=int, nargs="*", default=[1000, 10000, 40000])
    ap.add_argument("--rows", type=int, nargs="*", default=[2500, 40000])
    ap.add_argument("--shapely-max", type=int, default=5000,
                    help="run the shapely pipeline and the per-pair loop on dense yards and igloo rows up to this "
                         "many sites (every storehouse is a PES with hundreds of neighbours within its search "
                         "radius: the pipeline grows with their pairs)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--one", nargs=2, metavar=("SPEC", "METHOD"), help=argparse.SUPPRESS)
    ap.add_argument("--pipeline", nargs=2, metavar=("LAYOUT", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pipeline:
        return pipeline_main(*args.pipeline)
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.repeat)))
        return 0
    import numba
    import shapely

    specs = ([(str(n), n) for n in args.sizes] + [(f"yard{n}", n + 2000) for n in args.yards]
             + [(f"rows{n}", n + 200) for n in args.rows])
    rows = []
    for spec, n_sites in specs:
        row = {"spec": spec}
        for method in METHODS:
            if method in ("shapely", "loop") and not spec[0].isdigit() and n_sites > args.shapely_max:
                row[method] = None
                continue
            proc = subprocess.run([sys.executable, __file__, "--one", spec, method, "--repeat", str(args.repeat)],
                                  capture_output=True, text=True, env=os.environ.copy())
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            row[method] = json.loads(proc.stdout.strip().splitlines()[-1])
        row["process"] = run_process(spec)
        row["pipeline_process"] = (run_pipeline_process(spec) if row["shapely"] is not None else None)
        rows.append(row)
    print(f"Whole-depot check; numba {numba.__version__} ({numba.get_num_threads()} threads), "
          f"shapely {shapely.__version__}, {os.cpu_count()} CPUs; load average at the end "
          f"{os.getloadavg()[0]:.2f} (the whole-process runs: "
          + ", ".join(f"{r['spec']} {r['process']['load']:.2f}" for r in rows) + ").")
    print()
    print("Whole processes, each started as a command on a layout file written beforehand: `depotsafe check "
          "LAYOUT --out-json FILE` (reads, validates, checks every pair, computes every licence, writes its JSON "
          "and the readable report) against the shapely pipeline run as a script that reads the same file "
          "(`json` and `shapely.from_geojson`), judges every pair as above (HD 1.1 verdicts only, no licences) and "
          "writes its pairs as JSON.")
    print()
    print("| depot | sites | storehouses | pairs listed | depotsafe full [s] | depotsafe verdicts only [s] "
          "| shapely pipeline [s] | per-pair loop [s] (scaled) | shapely / full | loop / full "
          "| peak extra RSS full / verdicts / shapely [MiB] | whole process [s] / CPU [s] / peak RSS [MiB] / JSON [MiB] "
          "| shapely pipeline whole process [s] / CPU [s] / peak RSS [MiB] / JSON [MiB] | pipeline / depotsafe, "
          "whole processes | verdict mismatches |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    kind = {"yard": "dense yard", "rows": "igloo rows"}
    for r in rows:
        o, v, s, lp, pr = r["depotsafe"], r["verdicts"], r["shapely"], r["loop"], r["process"]
        pp = r["pipeline_process"]
        pp_cell = (f"{pp['seconds']:.1f} / {pp['cpu_s']:.1f} / {pp['peak_mb']:.0f} / {pp['json_mb']:.1f}"
                   if pp else "–")
        pp_ratio = f"{pp['seconds'] / pr['seconds']:.1f}x" if pp else "–"
        name = kind.get(r["spec"][:4], "synthetic")
        sh = f"{s['seconds']:.2f}" if s else "–"
        lo = f"{lp['seconds']:.1f} ({lp['sampled_pes']} PES sampled)" if lp else "–"
        ratio_s = f"{s['seconds'] / o['seconds']:.1f}x" if s else "–"
        ratio_l = f"{lp['seconds'] / o['seconds']:.0f}x" if lp else "–"
        storehouses = lp["all_pes"] if lp else "–"
        s_mb = f"{s['peak_mb']:.0f}" if s else "–"
        print(f"| {name} | {o['sites']:,} | {storehouses} | {o['pairs']:,} | {o['seconds']:.3f} | {v['seconds']:.3f} "
              f"| {sh} | {lo} | {ratio_s} | {ratio_l} | {o['peak_mb']:.0f} / {v['peak_mb']:.0f} / {s_mb} "
              f"| {pr['seconds']:.1f} / {pr['cpu_s']:.1f} / {pr['peak_mb']:.0f} / {pr['json_mb']:.1f} "
              f"| {pp_cell} | {pp_ratio} | {s['verdict_mismatches'] if s else '–'} |")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--pipeline":
        # the shapely pipeline as a whole process: it imports what it uses (not argparse, subprocess)
        raise SystemExit(pipeline_main(sys.argv[2], sys.argv[3]))
    raise SystemExit(main())
