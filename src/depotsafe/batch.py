"""Check many depot layouts at once, in parallel on Dask (``depotsafe batch``).

Each layout (a GeoJSON or GIS file, a DXF drawing, or one layer of a
GeoPackage with ``--each-layer``) is one job: read, checked and written by a worker process
exactly as ``depotsafe check LAYOUT --json`` would print it
(:func:`depotsafe.report.write_json`), into ``OUT/<name>.json`` as soon as it
finishes.  The parent process collects one summary row per layout
(:data:`COLUMNS`) and writes ``OUT/summary.csv``, ``OUT/summary.parquet`` and
``OUT/manifest.json``.

Skipping.  The manifest keys every layout by the SHA-256 of the bytes it is
read from (a Shapefile with its side files) and of the options that decide
its result (rule-set data, protection, rounding, layers, depotsafe version).
A later run skips a layout whose keys are unchanged and whose JSON output is
still there, and carries its row over (``reused`` true); ``--force`` checks
everything again.  A layout that failed on bad input is skipped the same way
(the same bytes fail the same way); an internal error is never skipped.  Each
worker also records its layout, as soon as its JSON is written, in the output
folder's journal (:data:`JOURNAL`): a run stopped before it writes the manifest
(Ctrl-C, a crash, a lost cluster) keeps what it finished, and the next run
checks only the rest.

The mapping file.  ``--mapping`` is read with each layout it is for
(:func:`mapping_for`): every DXF drawing; every GIS file, unless it is a DXF
drawing's mapping (its ``fields`` name layers of texts, not a GIS file's
fields); never a GeoJSON layout (it names its properties as docs/layout.md
does).  A folder's ``.dxf`` files are layouts like the others: without
``--mapping`` each fails with the message ``check`` gives, so that no drawing
of the folder is left unchecked without a failed row saying why.

Failures.  A layout that cannot be read or checked is a row with status
``failed`` and the error message (naming the field and the value); the others
go on.  Its old JSON output, if any, is removed so that no stale result stays
beside a failed input.

Parallelism.  Dask's local multiprocessing scheduler over a pool of
``--workers`` spawned processes (no network, no cluster to start).  Each
worker gets ``NUMBA_NUM_THREADS = cores // workers`` so that workers do not
fight over the cores, and the parent's ``NUMBA_CACHE_DIR`` (set by the command
line before anything imports numba), so that every worker loads the compiled
kernels from the on-disk cache; a worker process lives for the whole run and
compiles (or loads) each kernel once.  This module imports neither numba nor
the check engine in the parent process.

Risk.  With ``Options.risk`` (``--risk``) each job also computes the layout's
explosion risk (depotsafe.risk.assess) as ``depotsafe risk LAYOUT --json``
prints it, into ``OUT/<name>.risk.json``, written with the check's JSON (both
or neither), and its verdict into the summary's risk columns.  The criteria
and the grid cell are part of the options' key.

An existing cluster.  ``--scheduler ADDRESS`` sends the jobs to a running Dask
distributed scheduler instead (``dask scheduler`` and ``dask worker`` started by
the user, depotsafe installed on every worker).  The workers read the layouts
and write the results themselves, so the paths (made absolute here) must mean
the same on every worker: a shared folder.  The number of workers and their
threads are the cluster's own settings; ``--workers`` is then ignored.  A
scheduler that cannot be reached is refused before anything is written.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import gc
import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from depotsafe import __version__
from depotsafe.errors import DepotsafeError, InputError

#: File suffixes read as layouts when a folder is given (``.json`` is the layout format too).
LAYOUT_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".kml", ".dxf")

#: Files of the output folder (never read as layouts).
SUMMARY_CSV = "summary.csv"
SUMMARY_PARQUET = "summary.parquet"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
#: Folder of the output folder where each worker records a layout as soon as it is written (one
#: small JSON file per layout, the manifest's entry): a run interrupted before it writes the
#: manifest (a crash, Ctrl-C, a lost cluster) does not check those layouts again.  The manifest
#: takes them in at the end of a run, and the folder is removed.
JOURNAL = ".depotsafe-journal"

#: Summary columns, in order, and their types (for Parquet).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("file", "string"),
    ("layer", "string"),
    ("output", "string"),
    ("status", "string"),  # compliant | violations | failed
    ("reused", "boolean"),
    ("sites", "Int64"),
    ("storehouses", "Int64"),
    ("pairs", "Int64"),
    ("violations", "Int64"),
    ("near_misses", "Int64"),
    ("incompatible_sites", "Int64"),
    ("conditional_sites", "Int64"),
    ("assessments_required", "Int64"),
    ("protection_unavailable", "Int64"),
    ("worst_pes", "string"),
    ("worst_es", "string"),
    ("worst_hd", "string"),
    ("worst_rule", "string"),
    ("worst_required_m", "Float64"),
    ("worst_distance_m", "Float64"),
    ("worst_shortfall_m", "Float64"),
    ("licences_exceeded", "Int64"),
    ("worst_licence_site", "string"),
    ("worst_licence_hd", "string"),
    ("worst_licence_headroom_kg", "Float64"),
    ("elapsed_s", "Float64"),
    ("error", "string"),
    ("input_sha256", "string"),
    ("stock", "string"),  # the stock CSV read with the layout (STOCK_SUFFIX), or empty
    ("mapping", "string"),  # the mapping file read with the layout (mapping_for), or empty
    # --risk: what ``depotsafe risk LAYOUT --criteria C --json`` gives (empty without --risk)
    ("risk_output", "string"),  # OUT/<name>.risk.json
    ("criteria", "string"),
    ("risk_tolerable", "boolean"),
    ("max_individual_risk_per_year", "Float64"),
    ("max_individual_risk_site", "string"),
    ("sites_not_tolerable", "Int64"),
    ("expected_fatalities_per_year", "Float64"),
    ("societal_band", "string"),
)

#: The criteria of ``--risk`` (depotsafe.risk.REGIMES, which this parent process does not import: the
#: risk engine loads numba; tests/test_batch_risk.py holds the two equal).
RISK_CRITERIA = ("uk-hse", "fr-2011", "nl")
#: A layout's risk answer (``--risk``) is OUT/<name> + RISK_SUFFIX beside its check's OUT/<name>.json.
RISK_SUFFIX = ".risk.json"

#: A layout ``NAME.<suffix>`` of a batch is read with the stock CSV ``NAME.stock.csv`` of its folder
#: when there is one (a Shapefile, a GeoPackage or a drawing cannot hold a stock list): what
#: ``depotsafe check LAYOUT --stock NAME.stock.csv`` would read.
STOCK_SUFFIX = ".stock.csv"
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)


@dataclass(frozen=True)
class Options:
    """What decides a layout's result (``check``'s options)."""

    rule_set: str
    protection: str
    rounding: str
    layers: tuple[str, ...]
    max_mb: float
    mapping: str | None = None  # --mapping: a mapping file for every layout (depotsafe.mapping)
    risk: str | None = None  # --risk: the criteria (depotsafe.risk.REGIMES) of a risk answer per layout
    risk_cell_m: float | None = None  # --grid-cell: the location-risk grid's cell [m] (None: risk's default)


@dataclass(frozen=True)
class Job:
    path: str  # the layout file as given
    layers: tuple[str, ...]  # layers read as the layout (--layer, or one with --each-layer)
    output: str  # file name of its JSON result in the output folder
    layer_label: str  # the "layer" column
    stock: str | None = None  # the stock CSV beside it (STOCK_SUFFIX), if any
    #: (input_sha256, options_sha256): the worker records the finished layout under these keys in the
    #: output folder's journal (JOURNAL), so that a run stopped before its manifest keeps what it finished
    keys: tuple[str, str] | None = None


# --------------------------------------------------------------------------- inputs


def mapping_for(path: str, mapping: str | None, dxf_mapping: bool | None = None) -> str | None:
    """The mapping file read with the layout ``path`` in a batch given ``--mapping``, or None.

    A DXF drawing's always; a GIS file's unless ``mapping`` is a DXF drawing's mapping
    (depotsafe.mapping.is_dxf_mapping; ``dxf_mapping`` when the caller has read it); a GeoJSON
    layout's never.  What ``depotsafe check`` reads that file with.
    """
    from depotsafe.gisio import is_gis_path

    suffix = Path(path).suffix.lower()
    if mapping is None or (suffix != ".dxf" and not is_gis_path(path)):
        return None
    if suffix == ".dxf":
        return mapping
    if dxf_mapping is None:
        dxf_mapping = is_dxf_mapping_file(mapping)
    return None if dxf_mapping else mapping


def is_dxf_mapping_file(mapping: str) -> bool:
    """Whether the mapping file is a DXF drawing's (False when it cannot be read: its reader says why)."""
    from depotsafe.mapping import MAX_MAPPING_MB, is_dxf_mapping

    limit = int(MAX_MAPPING_MB * 1_000_000)  # MB of 1,000,000 bytes (depotsafe.layout.BYTES_PER_MB)
    try:
        with open(mapping, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError:
        return False
    return len(raw) <= limit and is_dxf_mapping(raw)


def _output_name(path: Path, layer: str | None) -> str:
    name = path.name + (f".layer-{layer}" if layer is not None else "")
    return name.replace(os.sep, "_") + ".json"


def _layers_of(path: Path) -> list[str] | None:
    """The layers of a GIS file, or None when it cannot be listed (the check then says why)."""
    from depotsafe.gisio import is_gis_path

    if not is_gis_path(path) or path.suffix.lower() == ".shp":
        return None
    try:
        import pyogrio

        return [str(n) for n in pyogrio.list_layers(str(path))[:, 0]]
    except Exception:  # GDAL raises several types for unreadable files
        return None


def find_jobs(inputs: Sequence[str], layers: Sequence[str], each_layer: bool, out_dir: Path,
              mapping: str | None = None) -> list[Job]:
    """The jobs of the inputs: files as given, folders' layout files (not recursive), in name order.

    The ``--mapping`` file, when it lies in a folder given, is not one of its layouts (it ends in
    ``.json`` as a layout may).

    Raises InputError for an input that does not exist, a folder that holds
    no layout, the output folder given as an input, or two layouts that would
    write the same output file.
    """
    if each_layer and layers:
        raise InputError("--each-layer", True, "not with --layer: either name the layers read as the "
                         "layout of every file, or check every layer of a file as its own layout")
    skip = None if mapping is None else Path(mapping).resolve()
    files: list[Path] = []
    for text in inputs:
        p = Path(text)
        if p.is_dir():
            if p.resolve() == out_dir.resolve():
                raise InputError("INPUT", text, "the output folder (--out); give the results their own folder")
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in LAYOUT_SUFFIXES
                           and (skip is None or f.resolve() != skip))
            if not found:
                raise InputError("INPUT", text, f"a folder without layout files ({', '.join(LAYOUT_SUFFIXES)})")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise InputError("INPUT", text, "no such file or folder")
    jobs: list[Job] = []
    for f in files:
        held = _layers_of(f) if each_layer else None
        side = f.with_name(f.stem + STOCK_SUFFIX)
        stock = str(side) if side.is_file() else None
        if held is not None and len(held) > 1:
            jobs.extend(Job(str(f), (name,), _output_name(f, name), name, stock) for name in held)
        else:
            jobs.append(Job(str(f), tuple(layers), _output_name(f, None), ",".join(layers), stock))
    owner: dict[str, str] = {}
    for job in jobs:
        if job.output in owner and owner[job.output] != job.path + job.layer_label:
            raise InputError("INPUT", job.path, f"has the same file name as {owner[job.output]}; "
                             "two layouts of one batch need different names (their results are OUT/NAME.json)")
        owner[job.output] = job.path + job.layer_label
    # the same file given twice (a folder and one of its files) is one job
    unique: dict[str, Job] = {}
    for job in jobs:
        unique.setdefault(job.output, job)
    return list(unique.values())


def input_sha256(job: Job) -> str:
    """SHA-256 of every file the layout is read from (a Shapefile's side files too) and its layers."""
    from depotsafe.gisio import _SHP_SIDECARS

    p = Path(job.path)
    if p.suffix.lower() == ".shp":
        stems = job.layers or (p.stem,)
        files = [p.parent / f"{s}{ext}" for s in stems for ext in _SHP_SIDECARS]
    else:
        files = [p]
    if job.stock is not None:
        files.append(Path(job.stock))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.suffix.lower().encode() + b"\0")  # content, not the file's name
        try:
            with f.open("rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError:
            digest.update(b"<missing>")
        digest.update(b"\0")
    digest.update("\n".join(job.layers).encode())
    return digest.hexdigest()


def options_sha256(options: Options) -> str:
    """SHA-256 of the rule-set data and of every option that decides a result."""
    from depotsafe.protection import check_request
    from depotsafe.rules import load_rule_set

    rs = load_rule_set(options.rule_set)
    mapping_sha = None
    if options.mapping is not None:
        try:
            mapping_sha = hashlib.sha256(Path(options.mapping).read_bytes()).hexdigest()
        except OSError as exc:
            raise InputError("--mapping", options.mapping, f"cannot be read ({exc.strerror})") from None
    key = {
        "rule_set": rs.name, "rule_data_sha256": rs.sha256, "protection": check_request(options.protection),
        "rounding": options.rounding, "layers": list(options.layers), "max_mb": options.max_mb,
        "depotsafe_version": __version__,
    }
    if mapping_sha is not None:  # (absent without --mapping: earlier manifests stay valid)
        key["mapping_sha256"] = mapping_sha
    if options.risk is not None:  # (absent without --risk, likewise)
        key["risk"] = {"criteria": options.risk, "grid_cell_m": options.risk_cell_m}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


# --------------------------------------------------------------------------- one layout (in a worker)


def _row_of(result: Any) -> dict[str, Any]:
    """The summary columns of a check result."""
    s = result.summary()
    row: dict[str, Any] = {k: s[k] for k in ("sites", "storehouses", "pairs", "violations", "incompatible_sites",
                                             "conditional_sites", "assessments_required", "protection_unavailable")}
    row["status"] = "compliant" if result.compliant else "violations"
    near = 0
    worst: dict[str, Any] | None = None
    for p in result.iter_pairs():
        near += bool(p.get("near_miss"))
        if p["compliant"]:
            continue
        short = p["required_distance_m"] - p["distance_m"]
        if worst is None or short > worst["worst_shortfall_m"]:
            worst = {"worst_pes": p["pes"], "worst_es": p["es"], "worst_hd": p["hd"], "worst_rule": p["rule"],
                     "worst_required_m": p["required_distance_m"], "worst_distance_m": p["distance_m"],
                     "worst_shortfall_m": short}
    row["near_misses"] = near
    row.update(worst or {})
    exceeded = 0
    least: tuple[float, str, str] | None = None
    for site in result.sites:
        mixed = site.get("mixed_stock")
        if not mixed:
            continue
        exceeded += not mixed["compliant"]
        for case in mixed.get("cases", []):
            h = case.get("headroom_kg")
            if h is not None and (least is None or h < least[0]):
                least = (float(h), str(site["id"]), str(case["hd"]))
    row["licences_exceeded"] = exceeded
    if least is not None:
        row["worst_licence_headroom_kg"], row["worst_licence_site"], row["worst_licence_hd"] = least
    return row


def risk_name(output: str) -> str:
    """The file name of a layout's risk answer, given that of its check (``NAME.json``)."""
    return output[: -len(".json")] + RISK_SUFFIX


def _risk_of(depot: Any, options: Options) -> tuple[dict[str, Any], str]:
    """The risk answer of a depot and its JSON text, as ``depotsafe risk LAYOUT --json`` prints them."""
    from depotsafe.cli import json_text
    from depotsafe.risk import assess

    assert options.risk is not None
    cell = 25.0 if options.risk_cell_m is None else options.risk_cell_m
    answer = assess(depot, options.risk, grid_cell_m=cell, grid_cell_is_default=options.risk_cell_m is None)
    return answer, json_text(answer)


def _risk_row(answer: dict[str, Any], criteria: str) -> dict[str, Any]:
    """The summary columns of a risk answer."""
    row: dict[str, Any] = {"criteria": criteria, "risk_tolerable": bool(answer["tolerable"]),
                           "expected_fatalities_per_year": float(answer["expected_fatalities_per_year"]),
                           "societal_band": answer["criteria"]["fn"]["band"],
                           "sites_not_tolerable": sum(not s["tolerable"] for s in answer["sites"])}
    if answer["sites"]:
        top = max(answer["sites"], key=lambda s: s["individual_risk_per_year"])  # the first of equals, in file order
        row["max_individual_risk_per_year"] = float(top["individual_risk_per_year"])
        row["max_individual_risk_site"] = str(top["id"])
    return row


def check_one(job: Job, options: Options, out_dir: str) -> dict[str, Any]:
    """Read, check and write one layout; its summary row (never raises for a bad layout)."""
    start = time.perf_counter()
    row: dict[str, Any] = {"file": job.path, "layer": job.layer_label, "output": job.output, "reused": False}
    target = os.path.join(out_dir, job.output)
    risk_target = os.path.join(out_dir, risk_name(job.output))
    gc.disable()  # as in depotsafe check: nothing here builds cycles worth collecting
    try:
        from depotsafe.check import check_depot
        from depotsafe.layout import read_layout
        from depotsafe.outputs import write_outputs
        from depotsafe.report import write_json

        depot = read_layout(job.path, stock_csv=job.stock, max_mb=options.max_mb, layers=job.layers,
                            mapping=mapping_for(job.path, options.mapping))
        result = check_depot(depot, options.rule_set, protection=options.protection, rounding=options.rounding)
        outputs: list[Any] = [("--out", target, lambda f: write_json(result, f))]
        if options.risk is not None:
            risk = _risk_of(depot, options)
            outputs.append(("--out", risk_target, lambda f, t=risk[1]: f.write(t)))
        write_outputs(outputs)  # both or neither
        row.update(_row_of(result))
        if options.risk is not None:
            row.update(_risk_row(risk[0], options.risk), risk_output=risk_name(job.output))
    except DepotsafeError as exc:
        row.update(status="failed", error=str(exc))
    except Exception as exc:  # one layout's bug must not stop the batch
        row.update(status="failed", error=f"internal error: {type(exc).__name__}: {exc}", internal=True)
    finally:
        gc.enable()
    if row["status"] == "failed":
        for stale in (target, risk_target):  # no stale result beside a failed input
            if os.path.exists(stale):
                os.unlink(stale)
    row["elapsed_s"] = time.perf_counter() - start
    if job.keys is not None and not row.get("internal"):
        _journal(out_dir, job, row)
    return row


def _journal(out_dir: str, job: Job, row: dict[str, Any]) -> None:
    """Record a finished layout in the output folder's journal (after its JSON is written)."""
    assert job.keys is not None
    entry = {"format": MANIFEST_FORMAT, "file": row["file"], "input_sha256": job.keys[0],
             "options_sha256": job.keys[1], "row": {k: v for k, v in row.items() if k != "reused"}}
    folder = os.path.join(out_dir, JOURNAL)
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{job.output}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(entry, allow_nan=False))
        os.replace(tmp, os.path.join(folder, job.output))
    except (OSError, ValueError):
        pass  # the journal only saves work after an interruption; the manifest still records the run


def _read_journal(out_dir: Path) -> dict[str, Any]:
    """The journal's entries by output name (unreadable entries ignored: those layouts are checked again)."""
    folder = out_dir / JOURNAL
    entries: dict[str, Any] = {}
    try:
        names = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError:
        return entries
    for name in names:
        try:
            doc = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("format") == MANIFEST_FORMAT and isinstance(doc.get("row"), dict):
            entries[name] = doc
    return entries


# --------------------------------------------------------------------------- the batch


def _worker_env(workers: int) -> dict[str, str]:
    cores = os.cpu_count() or 1
    return {"NUMBA_NUM_THREADS": str(max(1, cores // workers))}


def _run_parallel(jobs: list[Job], options: Options, out_dir: str, workers: int, progress: bool
                  ) -> list[dict[str, Any]]:
    """Run the jobs on Dask's multiprocessing scheduler over ``workers`` spawned processes."""
    import dask
    from dask import delayed

    tasks = [delayed(check_one, pure=False)(job, options, out_dir) for job in jobs]
    saved = {k: os.environ.get(k) for k in _worker_env(workers)}
    os.environ.update(_worker_env(workers))  # spawned workers copy the environment when they start
    try:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            if progress:
                import sys

                from dask.diagnostics import ProgressBar

                with ProgressBar(out=sys.stderr, dt=0.5):
                    return list(dask.compute(*tasks, scheduler="processes", pool=pool))
            return list(dask.compute(*tasks, scheduler="processes", pool=pool))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _read_manifest(out_dir: Path) -> dict[str, Any]:
    path = out_dir / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT or not isinstance(doc.get("layouts"), dict):
        return {}
    return doc["layouts"]


def summary_frame(rows: Sequence[dict[str, Any]]) -> Any:
    """The summary rows as a pandas DataFrame of :data:`COLUMNS` (typed; missing values null)."""
    import pandas as pd

    frame = pd.DataFrame.from_records([{k: r.get(k) for k in COLUMN_NAMES} for r in rows], columns=list(COLUMN_NAMES))
    return frame.astype(dict(COLUMNS))


def _parquet_bytes(frame: Any) -> bytes | None:
    import io

    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow comes with streamlit
        return None
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


#: Seconds to wait for a scheduler given by --scheduler before refusing it.
CONNECT_TIMEOUT_S = 10


def connect(address: str) -> Any:
    """A client of the running Dask scheduler at ``address``; InputError if none answers there."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise InputError("--scheduler", address, "needs the Python package distributed "
                         "(pip install distributed)") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise InputError("--scheduler", address, "the address of a running Dask scheduler, e.g. "
                         f"tcp://127.0.0.1:8786 (no scheduler answered: {type(exc).__name__})") from None


def _run_on_cluster(client: Any, jobs: list[Job], options: Options, out_dir: str, progress: bool
                    ) -> list[dict[str, Any]]:
    """Run the jobs on an existing cluster: absolute paths, each row's ``file`` as given."""
    import dataclasses

    rule_set = options.rule_set
    if Path(rule_set).is_dir():
        options = dataclasses.replace(options, rule_set=os.path.abspath(rule_set))
    if options.mapping is not None:
        options = dataclasses.replace(options, mapping=os.path.abspath(options.mapping))
    remote = [dataclasses.replace(job, path=os.path.abspath(job.path),
                                  stock=None if job.stock is None else os.path.abspath(job.stock)) for job in jobs]
    futures = client.map(check_one, remote, options=options, out_dir=os.path.abspath(out_dir), pure=False)
    if progress:
        from distributed import progress as show_progress

        show_progress(futures)
    rows = client.gather(futures)
    for job, sent, row in zip(jobs, remote, rows, strict=True):
        row["file"] = job.path
        if row.get("error"):  # the message names the file as the user gave it, as a local run does
            row["error"] = row["error"].replace(sent.path, job.path)
    return rows


def run_batch(
    inputs: Sequence[str], out: str, options: Options, *, each_layer: bool = False, workers: int = 2,
    force: bool = False, progress: bool = False, log: Callable[[str], None] | None = None,
    scheduler: str | None = None,
) -> list[dict[str, Any]]:
    """Check every layout of ``inputs`` into ``out``; the summary rows, in input order.

    Raises InputError (nothing written) for bad options or inputs; a bad
    layout is a failed row, not an exception.
    """
    from depotsafe.outputs import write_outputs

    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("--out", out, "a file; give a folder for the results")
    jobs = find_jobs(inputs, options.layers, each_layer, out_dir, options.mapping)
    if options.risk is not None:
        if options.risk not in RISK_CRITERIA:
            raise InputError("--criteria", options.risk, "allowed: " + ", ".join(RISK_CRITERIA))
        if options.risk_cell_m is not None and not options.risk_cell_m > 0:
            raise InputError("--grid-cell", options.risk_cell_m, 'a length > 0, e.g. "25 m"')
        outs = {job.output: job.path for job in jobs}
        for job in jobs:
            if risk_name(job.output) in outs:
                raise InputError("INPUT", outs[risk_name(job.output)],
                                 f"its result OUT/{risk_name(job.output)} has the name of the risk answer of "
                                 f"{job.path} (--risk); rename one of them")
    opt_key = options_sha256(options)  # also refuses a bad rule set or protection before any work
    client = None if scheduler is None else connect(scheduler)  # refused before anything is written
    try:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError("--out", out, f"cannot be created ({exc.strerror})") from None
        old = {} if force else {**_read_manifest(out_dir), **_read_journal(out_dir)}
        keys = {job.output: input_sha256(job) for job in jobs}
        rows: dict[str, dict[str, Any]] = {}
        todo: list[Job] = []
        for job in jobs:
            entry = old.get(job.output)
            same = (isinstance(entry, dict) and entry.get("input_sha256") == keys[job.output]
                    and entry.get("options_sha256") == opt_key and isinstance(entry.get("row"), dict))
            if same and entry["row"].get("status") != "failed":
                same = (out_dir / job.output).is_file() and (
                    options.risk is None or (out_dir / risk_name(job.output)).is_file())
            if same:
                rows[job.output] = {**entry["row"], "file": job.path, "reused": True}
            else:
                todo.append(dataclasses.replace(job, keys=(keys[job.output], opt_key)))
        if log is not None:
            log(f"{len(jobs)} layouts: {len(todo)} to check, {len(jobs) - len(todo)} unchanged (reused)")
        if todo:
            if client is not None:
                done = _run_on_cluster(client, todo, options, str(out_dir), progress)
            else:
                done = _run_parallel(todo, options, str(out_dir), max(1, min(workers, len(todo))), progress)
            for job, row in zip(todo, done, strict=True):
                rows[job.output] = row
    finally:
        if client is not None:
            client.close()
    dxf_mapping = None if options.mapping is None else is_dxf_mapping_file(options.mapping)
    ordered = []
    for job in jobs:
        got = rows[job.output]
        row = {k: got.get(k) for k in COLUMN_NAMES}  # every column in every row, None where empty
        if got.get("internal"):
            row["internal"] = True
        row["input_sha256"] = keys[job.output]
        row["stock"] = None if job.stock is None else Path(job.stock).name
        used = mapping_for(job.path, options.mapping, dxf_mapping)
        row["mapping"] = None if used is None else Path(used).name
        row["output"] = None if row["status"] == "failed" else job.output
        if options.risk is None or row["status"] == "failed":
            row["risk_output"] = None
        ordered.append(row)
    manifest = {
        "format": MANIFEST_FORMAT,
        "options_sha256": opt_key,
        "layouts": {
            job.output: {"file": r["file"], "input_sha256": r["input_sha256"], "options_sha256": opt_key,
                         "row": {k: v for k, v in r.items() if k != "reused"}}
            for job, r in zip(jobs, ordered, strict=True) if not r.get("internal")
        },
    }
    frame = summary_frame(ordered)
    outputs: list[Any] = [("--out", str(out_dir / SUMMARY_CSV), lambda f: frame.to_csv(f, index=False))]
    parquet = _parquet_bytes(frame)
    if parquet is not None:
        outputs.append(("--out", str(out_dir / SUMMARY_PARQUET), parquet))
    outputs.append(("--out", str(out_dir / MANIFEST),
                    lambda f: f.write(json.dumps(manifest, indent=1, allow_nan=False) + "\n")))
    write_outputs(outputs)
    shutil.rmtree(out_dir / JOURNAL, ignore_errors=True)  # the manifest holds every entry now
    for r in ordered:
        r.pop("internal", None)
    return ordered
