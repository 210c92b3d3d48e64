"""Many depots: ``depotsafe batch`` on 1 and 2 workers against a plain loop of ``depotsafe check``.

Run: ``python benchmarks/bench_batch.py [--copies 20 100] [--large 5000] [--large-copies 10] [--many 1000 500]``

Each case is a folder of N copies of one layout (the bundled sample depot, and a
larger synthetic depot of ``--large`` sites), measured as whole processes with
the installed ``depotsafe`` command, after ``depotsafe warmup`` (kernels in the
shared on-disk cache):

* loop: ``depotsafe check FILE --json > OUT/FILE.json`` once per file, one after
  the other (what a user would otherwise script);
* batch with ``--workers 1`` and ``--workers 2`` (each ``--force``, into a fresh
  folder): Dask's multiprocessing scheduler, one process per worker for the run;
* serial: one Python process that reads, checks and writes each file in turn
  (``check_depot`` and the JSON writer of ``check``: a script's plain loop, without
  a process per file);
* rerun: ``depotsafe batch`` again with nothing changed (every layout skipped).

The loop's, the serial run's and the batch's JSON files are compared byte for byte (column
"same JSON").  The scaling from 1 to 2 workers is reported as measured: on a
2-core machine shared with other work it is at most 2 and often less.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "sample_depot.geojson"
DEPOTSAFE = str(Path(sys.executable).with_name("depotsafe"))


def _timed(cmd: list[str], stdout: object = subprocess.DEVNULL) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True, check=False)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def _folder(base: Path, name: str, text: str, copies: int) -> Path:
    d = base / f"in-{name}-{copies}"
    d.mkdir()
    for k in range(copies):
        (d / f"{name}_{k:04d}.geojson").write_text(text, encoding="utf-8")
    return d


def _loop(folder: Path, out: Path) -> float:
    out.mkdir()
    t = time.perf_counter()
    for f in sorted(folder.iterdir()):
        with (out / f"{f.name}.json").open("w", encoding="utf-8") as fh:
            _timed([DEPOTSAFE, "check", str(f), "--json"], stdout=fh)
    return time.perf_counter() - t


_SERIAL = """
import sys
from pathlib import Path
from depotsafe.check import check_depot
from depotsafe.layout import read_layout
from depotsafe.report import write_json
folder, out = Path(sys.argv[1]), Path(sys.argv[2])
for f in sorted(folder.iterdir()):
    result = check_depot(read_layout(str(f)))
    with (out / f"{f.name}.json").open("w", encoding="utf-8") as fh:
        write_json(result, fh)
"""


def _serial(folder: Path, out: Path) -> float:
    """One Python process checking the files one after the other (what a script in Python would do)."""
    out.mkdir()
    return _timed([sys.executable, "-c", _SERIAL, str(folder), str(out)])


def _same(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.glob("*.geojson.json"))
    return bool(names) and names == sorted(p.name for p in b.glob("*.geojson.json")) and all(
        (a / n).read_bytes() == (b / n).read_bytes() for n in names)


def case(base: Path, name: str, text: str, copies: int, loop_max: int) -> dict[str, object]:
    folder = _folder(base, name, text, copies)
    row: dict[str, object] = {"layout": name, "sites": len(json.loads(text)["features"]), "copies": copies}
    for workers in (1, 2):
        out = base / f"out-{name}-{copies}-{workers}"
        row[f"batch{workers}"] = _timed([DEPOTSAFE, "batch", str(folder), "--out", str(out), "--force",
                                         "--workers", str(workers)])
    row["rerun"] = _timed([DEPOTSAFE, "batch", str(folder), "--out", str(base / f"out-{name}-{copies}-2"),
                           "--workers", "2"])
    serial_out = base / f"serial-{name}-{copies}"
    row["serial"] = _serial(folder, serial_out)
    row["same_serial"] = _same(serial_out, base / f"out-{name}-{copies}-2")
    if copies <= loop_max:
        loop_out = base / f"loop-{name}-{copies}"
        row["loop"] = _loop(folder, loop_out)
        row["same"] = _same(loop_out, base / f"out-{name}-{copies}-2")
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, nargs="*", default=[20, 100], help="copies of the sample depot")
    ap.add_argument("--large", type=int, default=5000, help="sites of the larger synthetic depot")
    ap.add_argument("--large-copies", type=int, nargs="*", default=[10], help="copies of the larger depot")
    ap.add_argument("--many", type=int, nargs=2, metavar=("SITES", "COPIES"),
                    help="also a folder of COPIES synthetic depots of SITES sites (e.g. 1000 500)")
    ap.add_argument("--loop-max", type=int, default=100, help="time the plain loop up to this many files")
    args = ap.parse_args()

    from depotsafe.synthetic import synthetic_depot

    subprocess.run([DEPOTSAFE, "warmup"], capture_output=True, check=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        base = Path(tmp)
        sample = SAMPLE.read_text(encoding="utf-8")
        rows.extend(case(base, "sample", sample, n, args.loop_max) for n in args.copies)
        if args.large_copies:
            big = json.dumps(synthetic_depot(args.large, seed=7))
            rows.extend(case(base, f"synthetic{args.large}", big, n, args.loop_max) for n in args.large_copies)
        if args.many:
            sites, copies = args.many
            rows.append(case(base, f"synthetic{sites}", json.dumps(synthetic_depot(sites, seed=7)), copies,
                             args.loop_max))
        shutil.rmtree(base, ignore_errors=True)

    print("Whole processes of the installed `depotsafe`, after `depotsafe warmup`; times in seconds.")
    print()
    print("| layout | sites | files | loop of `check` | serial, one process | batch, 1 worker | batch, 2 workers "
          "| 2 vs 1 workers | 2 workers vs serial | 2 workers vs loop | rerun, unchanged | same JSON |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        loop = r.get("loop")
        b1, b2 = float(r["batch1"]), float(r["batch2"])  # type: ignore[arg-type]
        loop_txt = f"{loop:.1f}" if isinstance(loop, float) else "not run"
        vs_loop = f"{loop / b2:.2f}x" if isinstance(loop, float) else "-"
        serial = float(r["serial"])  # type: ignore[arg-type]
        same = "yes" if r.get("same", True) and r["same_serial"] else "NO"
        print(f"| {r['layout']} | {r['sites']:,} | {r['copies']} | {loop_txt} | {serial:.1f} | {b1:.1f} | {b2:.1f} | "
              f"{b1 / b2:.2f}x | {serial / b2:.2f}x | {vs_loop} | {float(r['rerun']):.1f} | {same} |")  # type: ignore[arg-type]
    return 0 if all(r.get("same", True) and r["same_serial"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
