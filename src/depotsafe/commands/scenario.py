"""``depotsafe scenario``: a training scenario, step by step, from one storehouse.

    depotsafe scenario LAYOUT.geojson --start ID [--event mass-explosion|fragments|fire] [--follow ID ...]
        [--stock STOCK.csv] [--quantity known|unknown] [--explosive TNT] [--sparse] [--compare LAYOUT2]
        [--save FILE] [--handout FILE.html|FILE.pdf [--date YYYY-MM-DD]] [--lang LANG] --json
    depotsafe scenario --load FILE.json [--compare LAYOUT2] [--handout FILE] [--json]

The storehouse's aggregation group goes with it as one event (decision 14).
Every other storehouse is judged by the degree of protection of the
inter-magazine cell between them at their distance (decision 31) read with
AASTP-1 §1.3.1.9-1.3.1.11: it survives, a later event is possible (the trainer
chooses with --follow) or likely (its own step).  Each step shows the emergency
withdrawal ring (AASTP-1 Ch. 7 Table T.2) with the buildings, roads and persons
inside it, and the effects at every other site (as depotsafe effects).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from depotsafe.cli import add_max_layout_option, print_json
from depotsafe.clitext import add_lang_option

_EVENTS = ("mass-explosion", "fragments", "fire")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``scenario``."""
    p = subparsers.add_parser(
        "scenario",
        help="training scenario: the chain of events from one storehouse, step by step",
        description=__doc__.split("\n\n")[2] if __doc__ else None,
    )
    p.add_argument("layout", nargs="?", help="depot layout (GeoJSON); not with --load")
    p.add_argument("--start", help="id of the storehouse where it starts (with its aggregation group)")
    p.add_argument("--event", help="initiating event: mass-explosion (HD 1.1/1.5), fragments (HD 1.2), "
                                   "fire (HD 1.3/1.4); default the most severe the stock allows")
    p.add_argument("--follow", action="append", default=[], metavar="ID",
                   help="a storehouse judged 'possible' that the trainer decides does go (repeatable)")
    p.add_argument("--stock", help="stock CSV joined to the layout by site_id")
    p.add_argument("--quantity", default="known",
                   help="column of AASTP-1 Table T.2 for the withdrawal rings: known (default) or unknown")
    p.add_argument("--explosive", default="TNT", help="explosive for TNT equivalence (default TNT)")
    p.add_argument("--sparse", action="store_true",
                   help="surroundings sparsely populated (270 m instead of 400 m fragment minimum from open stacks)")
    p.add_argument("--compare", metavar="LAYOUT2",
                   help="run the same scenario on a changed layout (barricade added, door turned, stock moved or "
                        "reduced) and show what changed and why")
    p.add_argument("--save", metavar="FILE", help="write the scenario (layout embedded) to this JSON file")
    p.add_argument("--load", metavar="FILE", help="read a scenario file written by --save or the app")
    p.add_argument("--title", default="", help="title stored with --save (and the hand-out's title)")
    p.add_argument("--handout", metavar="FILE",
                   help="write the trainer's one-page hand-out: FILE.html (HTML) or FILE.pdf (PDF)")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="the hand-out's date (default: SOURCE_DATE_EPOCH if set, else today in UTC)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_lang_option(p)
    add_max_layout_option(p)
    return p


def _inputs(args: argparse.Namespace) -> dict[str, Any]:
    """Scenario parameters from the options or from --load; the layout as a parsed object."""
    from depotsafe.errors import InputError
    from depotsafe.layout import read_limited
    from depotsafe.scenario import read_scenario

    if args.load is not None:
        given = [o for o, v in (("LAYOUT", args.layout), ("--start", args.start), ("--event", args.event),
                                ("--stock", args.stock)) if v]
        if args.follow:
            given.append("--follow")
        given += [o for o, changed in (("--quantity", args.quantity != "known"), ("--explosive", args.explosive != "TNT"),
                                       ("--sparse", args.sparse)) if changed]
        if given:
            raise InputError(given[0], "given with --load", "the scenario file holds it: give --load alone "
                                                           "(with --json, --compare, --save, --title, --max-layout-mb)")
        raw = read_limited(args.load, "--load", args.max_layout_mb)
        doc = read_scenario(raw)
        doc["layout_name"] = args.load
        if args.title:
            doc["title"] = args.title
        doc["stock"] = None
        return doc
    if args.layout is None:
        raise InputError("LAYOUT", None, "a layout GeoJSON file (or --load SCENARIO.json)")
    if args.start is None:
        raise InputError("--start", None, "the id of the storehouse where the scenario starts")
    if args.event is not None and args.event not in _EVENTS:
        raise InputError("--event", args.event, "allowed: " + ", ".join(_EVENTS))
    if args.quantity not in ("known", "unknown"):
        raise InputError("--quantity", args.quantity, "allowed: known, unknown")
    return {"title": args.title, "layout": args.layout, "start": args.start,
            "event": args.event, "follow": list(args.follow), "quantity": args.quantity,
            "explosive": args.explosive, "sparse": args.sparse, "questions": [], "notes": "",
            "layout_name": args.layout, "stock": args.stock}


def compute(args: argparse.Namespace, with_depot: bool = False) -> Any:
    """The JSON result and the scenario document (for --save); with ``with_depot`` also the depot read."""
    from depotsafe.gisio import is_gis_path
    from depotsafe.layout import read_layout
    from depotsafe.scenario import run_scenario, scenario_document

    inp = _inputs(args)
    depot = read_layout(inp["layout"], inp["stock"], max_mb=args.max_layout_mb, layers=args.layer or ())
    result = run_scenario(depot, inp["start"], inp["event"], inp["follow"], inp["quantity"], inp["explosive"],
                          inp["sparse"])
    result["scenario"]["layout"] = str(inp["layout_name"])
    result["scenario"]["title"] = inp["title"]
    result["scenario"]["questions"] = inp["questions"]
    layout = inp["layout"]
    if inp["stock"] is not None or is_gis_path(layout):  # embed the joined stock (a GIS file as GeoJSON)
        from depotsafe.layout import layout_to_geojson

        layout = layout_to_geojson(depot)
    elif not isinstance(layout, dict):
        from depotsafe.layout import parse_json, read_limited

        layout = parse_json(read_limited(layout, "layout", args.max_layout_mb), "layout", str(layout))
    if getattr(args, "compare", None) is not None:
        from depotsafe.scenario import compare

        depot2 = read_layout(args.compare, inp["stock"], max_mb=args.max_layout_mb,
                             layers=(args.layer or ()) if is_gis_path(args.compare) else ())
        after = run_scenario(depot2, inp["start"], inp["event"], inp["follow"], inp["quantity"], inp["explosive"],
                             inp["sparse"], strict_follow=False)
        after["scenario"]["layout"] = str(args.compare)
        result["comparison"] = {"layout": str(args.compare), **compare(result, after, depot, depot2),
                                "after": after}
    doc = scenario_document(layout, inp["start"], inp["event"], inp["follow"], inp["quantity"], inp["explosive"],
                            inp["sparse"], inp["title"], inp["questions"], inp["notes"])
    return (result, doc, depot) if with_depot else (result, doc)


def text(result: dict[str, Any], lang: str = "en") -> str:
    """The chain as readable text, in ``lang`` (depotsafe.clitext)."""
    from depotsafe.clitext import cli_words

    w = cli_words(lang)
    tr = w.tr
    none = tr("none")

    def ids(items: list[str], empty: str = none) -> str:
        return ", ".join(items) or empty

    def ring(m: float) -> str:
        return w.unit(w.style.fixed(m, 0), "m")

    def kpa(v: float | None) -> str:
        return "-" if v is None else w.unit(w.style.fixed(v, 1), "kPa")

    sc = result["scenario"]
    out = [tr("scenario: {event} at {start}").format(event=sc["event"], start=sc["start"])
           + (f" ({sc['title']})" if sc.get("title") else "")
           + tr(", {n} step(s)").format(n=w.count(len(result["steps"])))]
    for st in result["steps"]:
        who = st["site"] if len(st["members"]) == 1 else tr("group {members}").format(members="+".join(st["members"]))
        out.append("")
        out.append(tr("STEP {n}: {event} at {who}, {neq} NEQ (HD {divisions})").format(
            n=st["step"], event=w.note(st["event_text"]), who=who, neq=w.kg_stock(st["neq_kg"]),
            divisions=", ".join(st["divisions"])))
        t = st["trigger"]
        if t is None:
            out.append("  " + tr("starts the scenario"))
        else:
            chosen = tr(" (chosen by the trainer)") if t.get("chosen_by_trainer") else ""
            out.append("  " + tr("follows step {n} ({site}): {outcome}").format(
                n=t["from_step"], site=t["from"], outcome=w.note(t["outcome"])) + chosen)
            out.append("    " + tr("rule: {rule}").format(rule=w.note(t["rule"])))
            out.append("    " + tr("source: {source}").format(source=t["source"]))
        if len(st["members"]) > 1:
            out.append(f"  {w.note(st['aggregation'])}")
        wd = st["withdrawal"]
        inside = wd["inside"]
        out.append("  " + tr("first response: withdraw non-essential personnel to {radius} (HD {hd}, {quantity} "
                             "quantity; {source})").format(radius=ring(wd["radius_m"]), hd=wd["hd"],
                                                           quantity={"known": tr("known"), "unknown": tr("unknown")}.get(wd["quantity"], wd["quantity"]), source=wd["source"]))
        out.append("    " + tr("inside the ring: {n} building(s) {buildings}; roads to close: {roads}; "
                               "storehouses: {storehouses}; persons present: {persons}").format(
            n=w.count(len(inside["buildings"])), buildings=ids(inside["buildings"], ""), roads=ids(inside["roads"]),
            storehouses=ids(inside["storehouses"]), persons=w.g(inside["persons"])))
        for z in st["zones"]["blast"]:
            out.append("  " + tr("blast zone {level} ({name}): {radius}").format(
                level=z["level"], name=tr(z["name"]), radius=ring(z["radius_m"])))
        for z in st["zones"]["hazard"]:
            out.append("  " + tr("{kind} zone HD {hd}: {radius} ({rule})").format(
                kind={"fragment": tr("fragment"), "thermal": tr("thermal")}.get(z["kind"], z["kind"]), hd=z["hd"], radius=ring(z["radius_m"]), rule=z["rule"]))
        out.append("  " + tr("at each site:"))
        for s in st["buildings"]:
            line = f"    {s['id']} ({w.kind(s['kind'])}): {w.metres_measured(s['distance_m'])}, " \
                   f"{kpa(s['incident_overpressure_kpa'])}, " + tr("zone {zone}").format(zone=s["zone"])
            if s["persons"]:
                line += tr(", {n} person(s) present").format(n=w.g(s["persons_present"]))
            b = s["building"]
            if b["structural_collapse"] is not None:
                line += tr(", collapse {p}").format(p=w.percent(b["structural_collapse"]))
            if b["destroyed"]:
                line += tr(", DESTROYED")
            if s["involved_in_step"] is not None:
                line += tr(", explodes at step {n}").format(n=s["involved_in_step"])
            out.append(line)
        out.append("  " + tr("other storehouses:"))
        for j in st["escalation"]:
            if j["outcome"] == "already involved":
                out.append(f"    {j['id']}: " + tr("already involved (step {n})").format(n=j["step"]))
                continue
            out.append(f"    {j['id']}: {w.note(j['outcome'])}" + (tr(" -> follows") if j.get("followed") else ""))
            out.append("      " + tr("rule: {rule}").format(rule=w.note(j["rule"]))
                       + (tr("; source: {source}").format(source=j["source"]) if j.get("source") else ""))
        tot = st["totals"]
        out.append("  " + tr("totals: buildings destroyed {buildings}; roads to close {roads}; persons in the ring "
                             "{ring}; in effect zones {zones}").format(
            buildings=ids(tot["buildings_destroyed"]), roads=ids(tot["roads_to_close"]),
            ring=w.g(tot["persons_in_withdrawal_ring"]), zones=w.g(tot["persons_in_effect_zones"])))
    tot = result["totals"]
    out.append("")
    out.append(tr("whole chain: {n} step(s), storehouses {storehouses}, {neq} NEQ; buildings destroyed {buildings}; "
                  "roads to close {roads}; largest withdrawal ring {radius}").format(
        n=w.count(tot["steps"]), storehouses=", ".join(tot["storehouses_involved"]),
        neq=w.kg_stock(tot["neq_involved_kg"]), buildings=ids(tot["buildings_destroyed"]),
        roads=ids(tot["roads_to_close"]), radius=ring(tot["largest_withdrawal_radius_m"])))
    note = tr("note: {note}")
    out.extend(note.format(note=w.note(n)) for n in result["notes"])
    if "comparison" in result:
        out.extend(_comparison_text(result["comparison"], lang))
    return "\n".join(out) + "\n"


def _comparison_text(c: dict[str, Any], lang: str = "en") -> list[str]:
    from depotsafe.clitext import cli_words

    tr = cli_words(lang).tr
    out = ["", tr("COMPARED WITH {layout}").format(layout=c["layout"])]
    out.append("  " + tr("what changed in the layout:"))
    out.extend(f"    {ch['text']}" for ch in c["layout_changes"])
    if not c["layout_changes"]:
        out.append("    " + tr("nothing"))
    sh = c["storehouses"]
    out.append("  " + tr("storehouses involved: {before} -> {after}").format(
        before=", ".join(sh["before"]), after=", ".join(sh["after"])))
    if sh["no_longer_involved"]:
        out.append("    " + tr("no longer involved: {ids}").format(ids=", ".join(sh["no_longer_involved"])))
    if sh["newly_involved"]:
        out.append("    " + tr("newly involved: {ids}").format(ids=", ".join(sh["newly_involved"])))
    for j in c["judgements"]:
        b = j["before"]["outcome"] if j["before"] else "-"
        a = j["after"]["outcome"] if j["after"] else "-"
        out.append(f"  {j['id']}: {b} -> {a}" + (f" ({j['why']})" if j["why"] else ""))
    for k, v in c["totals"].items():
        if v["before"] != v["after"]:
            out.append(f"  {k.replace('_', ' ')}: {v['before']} -> {v['after']}")
    return out


HANDOUT_FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def handout_format(path: str) -> str:
    """"html" or "pdf" from the file name given to --handout; InputError for any other ending."""
    from pathlib import Path

    from depotsafe.errors import InputError

    fmt = HANDOUT_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError("--handout", path, "a file name ending in .html or .pdf")
    return fmt


def run(args: argparse.Namespace) -> int:
    """Run ``scenario``; 0 on success, 2 on bad input."""
    from pathlib import Path

    from depotsafe.clitext import cli_words

    from depotsafe.commands._documents import write_all
    from depotsafe.documents.render import document_date
    from depotsafe.documents.text import words
    from depotsafe.outputs import check_output_paths

    check_output_paths([("--save", args.save), ("--handout", args.handout)])
    fmt = handout_format(args.handout) if args.handout is not None else None
    cli_words(args.lang)  # a language we do not ship is refused before any work
    words(args.lang)
    date = document_date(args.date)
    result, doc, depot = compute(args, with_depot=True)
    files = []
    if args.save is not None:
        files.append(("--save", args.save, json.dumps(doc, indent=1, allow_nan=False).encode("utf-8")))
    if fmt is not None:
        from depotsafe.documents.handout import handout_bytes

        files.append(("--handout", args.handout, handout_bytes(
            result, depot, fmt, lang=args.lang, date=date, title=result["scenario"]["title"],
            layout_name=Path(str(result["scenario"]["layout"])).name)))
    write_all(files)
    if args.json:
        print_json(result)
    else:
        sys.stdout.write(text(result, args.lang))
    return 0
