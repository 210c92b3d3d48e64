"""Effects page: an event at one storehouse; zones on the map, effects per building."""

from __future__ import annotations

from typing import Any

import streamlit as st

from depotsafe.errors import DepotsafeError
from depotsafe.ui import model, state
from depotsafe.ui.common import (
    DASH,
    KEEP,
    _,
    count,
    kg_stock,
    metres_measured,
    metres_up,
    not_available,
    note_text,
    percent,
    plain_number,
    quantity,
    read_quantity,
    show_error,
    show_table,
    tr,
    with_unit,
)
from depotsafe.ui.maps import Overlay, show_map

FRAGMENT = "#542788"
THERMAL = "#e66101"


def _effects_available() -> bool:
    try:
        import depotsafe.commands.effects
        import depotsafe.effects.zones  # noqa: F401
    except ImportError:
        return False
    return True


def _groups(depot: Any, depot_key: Any) -> list[list[str]]:
    """Aggregation groups: the Compliance page's check if it is of this depot, else a check without licences."""
    chk = st.session_state.get("check")
    if chk is not None and chk.get("key") == depot_key:
        return [list(g) for g in chk["result"].groups]
    cached = st.session_state.get("effects_groups")
    if cached is not None and cached[0] == depot_key:
        return cached[1]
    from depotsafe.effects.event import aggregation_groups

    with st.spinner(_("Finding the aggregation groups")):
        groups = aggregation_groups(depot)
    st.session_state["effects_groups"] = (depot_key, groups)
    return groups


def _reason(ev: Any) -> str:
    """Why the event is this site alone or its whole aggregation group, in the user's language (the engine's
    reason, depotsafe.effects.event, said as the command line says it)."""
    return note_text(ev.reason)


def _zone_words(zone: str | None) -> str:
    """The zone column of the effects table: a level's id as it is, the engine's phrases translated."""
    return DASH if not zone else tr(zone)


def _hazard_zone_words(text: str) -> str:
    """ "fragment HD 1.1" (the engine's name of a hazard zone) in words."""
    kind, _sep, hd = text.partition(" HD ")
    if kind == "fragment":
        return _("fragment zone (HD {hd})").format(hd=hd)
    if kind == "thermal":
        return _("thermal zone (HD {hd})").format(hd=hd)
    return text


def _injury_header(model_name: str) -> str:
    """The column of one injury model: "P(eardrum rupture (Eisenberg))" in words."""
    from depotsafe.effects.tables import probits

    probit = probits().get(model_name)
    return _("P({effect})").format(effect=tr(probit.effect) if probit is not None else model_name)


def render() -> None:
    """Draw the Effects page."""
    st.header(_("Effects"))
    depot, depot_key, err = state.depot()
    if err is not None:
        show_error(err, _("The edited depot was refused; the effects use the last depot that read cleanly."))
    if depot is None:
        st.warning(_("No depot loaded."))
        return
    if not _effects_available():
        not_available(_("explosion effects"))
        return
    from depotsafe.effects.tables import explosives
    from depotsafe.effects.zones import blast_zones, site_table

    stores = [s for s in depot.sites if s.stock_entries]
    if not stores:
        st.info(_("No storehouse holds stock: add stock on the Depot page."))
        return
    ids = [s.id for s in stores]
    if st.session_state.get(f"{KEEP}effects_site") not in ids:
        st.session_state[f"{KEEP}effects_site"] = ids[0]
    c1, c2, c3 = st.columns(3)
    site_id = c1.selectbox(_("Storehouse"), ids, key=f"{KEEP}effects_site")
    events = {"stock": _("Explosion of its stock (mass-explosion NEQ)"), "custom": _("Explosion of a given NEQ")}
    event = c2.selectbox(_("Event"), list(events), format_func=events.__getitem__, key=f"{KEEP}effects_event")
    names = list(explosives())
    explosive = c3.selectbox(_("Explosive (TNT equivalence)"), names,
                             index=names.index("TNT") if "TNT" in names else 0, key=f"{KEEP}effects_explosive")
    site = depot.site(site_id)
    try:
        model.site_stock_lines(site)  # a clear message if this storehouse's stock cannot be read
        groups = _groups(depot, depot_key)
        from depotsafe.effects.event import event_hazard_zones, explosion_event

        whole = st.toggle(_("Explode its whole aggregation group"), value=True, key=f"{KEEP}effects_group",
                          help=_("Storehouses closer than their inter-magazine distance are one site (AASTP-1 "
                                 "§1.3.2.3 b)): an explosion in one is taken to set off all of them."))
        ev = explosion_event(depot, site.id, groups, alone=not whole)
    except (DepotsafeError, ValueError) as exc:
        show_error(exc, _("The stock of this storehouse could not be read"))
        return
    if len(ev.group) > 1:
        (st.info if whole else st.warning)(_reason(ev))
    else:
        st.caption(_reason(ev))
    if event == "custom":
        text = st.text_input(_("NEQ of the event"), value="1 t", key=f"{KEEP}effects_neq",
                             help=_("with its unit: \"5 t\", \"200 kg\"; no group separators"))
        read = read_quantity(text, "mass", _("NEQ of the event"))
        if read is None:
            return
        if not read > 0:
            st.error(_("The NEQ must be more than 0 kg."), icon="⚠️")
            return
        neq_kg = read
    else:
        neq_kg = ev.neq_kg
    st.caption(_("Blast NEQ {neq}: HD 1.1 and 1.5, with HD 1.2 and 1.3 added when stored with them "
                 "(AASTP-1 (2006) Table 4 and §1.3.2.5); HD 1.4 never.").format(neq=kg_stock(neq_kg)))

    overlays: list[Overlay] = []
    zone_rows: list[dict[str, Any]] = []
    others = [(s.id, s.geometry, s.persons) for s in depot.sites if s.id not in ev.members]
    try:
        hz, hz_notes = event_hazard_zones(ev, neq_kg, site.sparse)
        zones = blast_zones([ev.footprint], [neq_kg], explosive) if neq_kg > 0 else []
        table = site_table(ev.footprint, neq_kg, others, explosive=explosive, hazard_zones=hz)
    except (DepotsafeError, ValueError) as exc:
        show_error(exc, _("The effects could not be computed"))
        return
    from plotly.colors import sample_colorscale

    # darkest for the highest overpressure, one colour per level
    colours = sample_colorscale("YlOrRd", [1.0 - 0.8 * k / max(len(zones) - 1, 1) for k in range(len(zones))])
    for n, z in enumerate(zones):
        lv = z.level
        kpa = with_unit(plain_number(lv.overpressure_pa / 1e3), "kPa")
        overlays.append(Overlay(
            z.geometry.boundary, f"{lv.level}: ≥ {kpa}", colours[n],
            hover=f"<b>{lv.level}</b> {tr(lv.name)}<br>≥ {kpa}, "
                  f"{metres_up(z.radius_m[0])}<br>{tr(lv.people)}<br>{lv.source}", width=2,
            label=f"{lv.level} {metres_up(z.radius_m[0])}", label_origin=ev.footprint,
            label_radius_m=float(z.radius_m[0])))
        zone_rows.append({_("zone"): lv.level, _("name"): tr(lv.name),
                          _("overpressure at least"): kpa,
                          _("radius from the footprint"): metres_up(z.radius_m[0]), _("people"): tr(lv.people),
                          _("source"): lv.source})
    for hzone in hz:
        colour = FRAGMENT if hzone.kind == "fragment" else THERMAL
        label = _("fragment zone (HD {hd})") if hzone.kind == "fragment" else _("thermal zone (HD {hd})")
        overlays.append(Overlay(ev.footprint.buffer(hzone.radius_m, quad_segs=32).boundary,
                                label.format(hd=hzone.hd), colour, dash="dot", width=2,
                                hover=f"{hzone.rule}: {metres_up(hzone.radius_m)}<br>{hzone.source}<br>"
                                      f"{tr(hzone.basis)}",
                                label=f"{label.format(hd=hzone.hd)} {metres_up(hzone.radius_m)}",
                                label_origin=ev.footprint, label_radius_m=float(hzone.radius_m)))
        zone_rows.append({_("zone"): label.format(hd=hzone.hd), _("name"): hzone.rule, _("overpressure at least"): DASH,
                          _("radius from the footprint"): metres_up(hzone.radius_m), _("people"): tr(hzone.basis),
                          _("source"): hzone.source})
    for note in hz_notes:
        st.caption(note_text(note))
    if neq_kg <= 0 and not zone_rows:
        st.info(_("This storehouse holds no mass-explosion stock (HD 1.1 or 1.5): no blast event."))
        return
    basemap = st.toggle(_("Basemap (needs internet)"), key=f"{KEEP}basemap_effects", value=False,
                        disabled=depot.is_local)
    show_map(depot, overlays, highlight=list(ev.members), basemap=basemap, key="effects_map")
    st.subheader(_("Zones"))
    show_table(zone_rows, key="zones_table")
    if table:
        st.subheader(_("Effects at every building"))
        st.caption(_("Incident overpressure and impulse at the nearest point of each building "
                     "(Kingery–Bulmash as fitted by Swisdak, IATG 01.80); injury probabilities from the probits "
                     "of IATG 01.80. A dash where a value lies outside its fit."))
        rows = []
        for r in sorted(table, key=lambda r: r["distance_m"]):
            inj = r.get("injury_probability") or {}
            row = {
                _("building"): r["id"],
                _("distance"): metres_measured(r["distance_m"]),
                _("persons"): count(r["persons"]),
                _("overpressure"): quantity(r["incident_overpressure_kpa"], "kPa"),
                _("impulse"): quantity(r["incident_impulse_kpa_ms"], "kPa·ms"),
                _("zone"): _zone_words(r["zone"]),
                _("in hazard zones"): ", ".join(_hazard_zone_words(z) for z in r.get("in_hazard_zones") or [])
                or DASH,
            }
            for k, v in inj.items():
                row[_injury_header(k)] = percent(v)
            rows.append(row)
        show_table(rows, key="effects_table")
