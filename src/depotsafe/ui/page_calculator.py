"""Calculator page: one PES–ES pair both ways, and the blast at one distance."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from depotsafe.errors import DepotsafeError
from depotsafe.kinds import kinds
from depotsafe.ui.common import (
    DASH,
    KEEP,
    _,
    face_name,
    kg_stock,
    kilograms_down,
    kind_label,
    metres_up,
    not_available,
    note_text,
    number_style,
    plain_number,
    quantity,
    read_quantity,
    show_error,
    show_table,
    tr,
    traffic_name,
    with_unit,
    words,
)

HDS = ["1.1", "1.2", "1.2.1", "1.2.2", "1.3", "1.4", "1.5", "1.6"]
CGS = ["", *list("ABCDEFGHJKLNS")]
MASS_UNITS = ["kg", "t", "lb"]
LENGTH_UNITS = ["m", "ft"]
PRESSURE_UNITS = ["kPa", "bar", "psi"]
IMPULSE_UNITS = {"kPa·ms": "kPa*ms", "Pa·s": "Pa*s", "psi·ms": "psi*ms"}
FACES = ["front", "side", "rear"]


def _convert(value_si: float, si: str, unit: str) -> float:
    from depotsafe.units import quantity

    return float(quantity(value_si, si).m_as(unit))


def _pair() -> None:
    st.subheader(_("Quantity-distance of one pair"))
    allk = kinds()
    pes_kinds = [k for k, v in allk.items() if v.holds_explosives != "no"]
    c1, c2, c3 = st.columns(3)
    hd = c1.selectbox(_("Hazard division"), HDS, key=f"{KEEP}calc_hd")
    cg = c2.selectbox(_("Compatibility group (optional)"), CGS, key=f"{KEEP}calc_cg",
                      format_func={"": _("(none)"), **{g: g for g in CGS if g}}.__getitem__)
    unit_neq = c3.text_input(_("NEQ of one round (optional)"), key=f"{KEEP}calc_unit_neq",
                             help=_("with its unit; needed for HD 1.6, splits HD 1.2"))
    unit_neq_kg = read_quantity(unit_neq, "mass", _("NEQ of one round"), c3) if unit_neq.strip() else None
    if unit_neq.strip() and unit_neq_kg is None:
        return
    c1, c2 = st.columns(2)
    pes = c1.selectbox(_("PES kind"), pes_kinds, key=f"{KEEP}calc_pes",
                       format_func=words(kind_label, pes_kinds))
    pes_face = c1.selectbox(_("PES face towards the ES"), FACES, key=f"{KEEP}calc_pes_face",
                            format_func=words(face_name, FACES)) \
        if allk[pes].earth_covered else None
    es = c2.selectbox(_("ES kind"), list(allk), index=list(allk).index("inhabited_building"), key=f"{KEEP}calc_es",
                      format_func=words(kind_label, allk))
    es_face = c2.selectbox(_("ES face towards the PES"), FACES, key=f"{KEEP}calc_es_face",
                           format_func=words(face_name, FACES)) \
        if allk[es].earth_covered else None
    traffic = c2.selectbox(_("Traffic"), ["heavy", "light"], key=f"{KEEP}calc_traffic",
                           format_func=words(traffic_name, ["heavy", "light"])) \
        if es == "public_traffic_route" else None
    c1, c2, c3, c4 = st.columns(4)
    neq = c1.number_input(_("NEQ"), min_value=0.0, value=10.0, key=f"{KEEP}calc_neq")
    neq_unit = c2.selectbox(_("unit"), MASS_UNITS, index=1, key=f"{KEEP}calc_neq_unit")
    dist = c3.number_input(_("Distance"), min_value=0.0, value=400.0, key=f"{KEEP}calc_dist")
    dist_unit = c4.selectbox(_("unit"), LENGTH_UNITS, key=f"{KEEP}calc_dist_unit")
    from depotsafe.api import quantity_limit, required_distance
    from depotsafe.ui import state

    rounding = state.rounding_selectbox()
    kw: dict[str, Any] = {"pes_face": pes_face, "es_face": es_face, "traffic": traffic, "cg": cg or None,
                          "unit_neq": unit_neq_kg, "rounding": rounding}
    r1, r2 = st.columns(2)
    try:
        ans = required_distance(hd, f"{neq} {neq_unit}", pes, es, **kw).as_dict()
    except (DepotsafeError, ValueError) as exc:
        with r1:
            show_error(exc, _("Required distance"))
    else:
        shown = ans["required_distance_m"] if dist_unit == "m" else _convert(ans["required_distance_m"], "m", "ft")
        shown_text = (metres_up(shown) if dist_unit == "m"
                      else with_unit(number_style().fixed(math.ceil(shown - 1e-9)), dist_unit))
        r1.metric(_("Required distance for {neq}").format(neq=with_unit(plain_number(neq), neq_unit)),
                  shown_text if math.isfinite(shown) else "∞",
                  help=f"{ans['rule']}: {note_text(ans['rule_label'])} — {ans['source']}")
        r1.caption(f"{_('rule')} {ans['rule']}: {note_text(ans['rule_label'])} · {ans['source']}")
        for note in ans["notes"] + ans["flags"]:
            r1.caption(note_text(note))
    try:
        lim = quantity_limit(hd, f"{dist} {dist_unit}", pes, es, **kw).as_dict()
    except (DepotsafeError, ValueError) as exc:
        with r2:
            show_error(exc, _("Quantity limit"))
    else:
        value = None if lim["unlimited"] else lim["max_neq_kg"]
        text = kilograms_down(value)
        if value and neq_unit == "t":  # rounded down to the kilogram (DESIGN.md)
            text = with_unit(number_style().fixed(math.floor(value + 1e-9) / 1000, 3), "t")
        elif value and neq_unit != "kg":
            text = with_unit(number_style().fixed(math.floor(_convert(value, 'kg', neq_unit) + 1e-9)), neq_unit)
        r2.metric(_("Largest NEQ at {d}").format(d=with_unit(plain_number(dist), dist_unit)), text,
                  help=f"{lim['rule']}: {note_text(lim['rule_label'])} — {lim['source']}")
        r2.caption(f"{_('rule')} {lim['rule']}: {note_text(lim['rule_label'])} · {lim['source']}")
        for note in lim["notes"]:
            r2.caption(note_text(note))


def _status_words(status: dict[str, Any]) -> str:
    """The status of one blast parameter in words: a known code translated, else the engine's message."""
    words = {"ok": _("within the fit"), "below_fit_range": _("closer than the fit's range"),
             "above_fit_range": _("farther than the fit's range")}
    return words.get(status["code"]) or tr(status.get("message", status["code"]))


def _blast() -> None:
    st.subheader(_("Blast parameters at one distance"))
    try:
        from depotsafe.effects import blast_parameters
        from depotsafe.effects.tables import explosives
    except ImportError:
        not_available(_("explosion effects"))
        return
    c1, c2, c3, c4 = st.columns(4)
    neq = c1.number_input(_("Charge NEQ"), min_value=0.0, value=10.0, key=f"{KEEP}blast_neq")
    neq_unit = c2.selectbox(_("unit"), MASS_UNITS, index=1, key=f"{KEEP}blast_neq_unit")
    dist = c3.number_input(_("Distance"), min_value=0.0, value=500.0, key=f"{KEEP}blast_dist")
    dist_unit = c4.selectbox(_("unit"), LENGTH_UNITS, key=f"{KEEP}blast_dist_unit")
    c1, c2, c3 = st.columns(3)
    names = list(explosives())
    explosive = c1.selectbox(_("Explosive"), names, index=names.index("TNT") if "TNT" in names else 0,
                             key=f"{KEEP}blast_explosive")
    p_unit = c2.selectbox(_("Pressure unit"), PRESSURE_UNITS, key=f"{KEEP}blast_p_unit")
    i_unit = c3.selectbox(_("Impulse unit"), list(IMPULSE_UNITS), key=f"{KEEP}blast_i_unit")
    from depotsafe.units import to_si

    try:
        neq_kg = to_si(f"{neq} {neq_unit}", "mass", "NEQ")
        dist_m = to_si(f"{dist} {dist_unit}", "length", "distance")
        res = blast_parameters(neq_kg, dist_m, explosive)
    except (DepotsafeError, ValueError) as exc:
        show_error(exc, _("Blast parameters"))
        return
    units = {"incident_overpressure": ("Pa", p_unit), "reflected_overpressure": ("Pa", p_unit),
             "incident_impulse": ("Pa*s", IMPULSE_UNITS[i_unit]), "reflected_impulse": ("Pa*s", IMPULSE_UNITS[i_unit]),
             "arrival_time": ("s", "ms"), "positive_duration": ("s", "ms"),
             "shock_front_velocity": ("m/s", "m/s")}
    labels = {"incident_overpressure": _("incident overpressure"), "reflected_overpressure": _("reflected overpressure"),
              "incident_impulse": _("incident impulse"), "reflected_impulse": _("reflected impulse"),
              "arrival_time": _("arrival time"), "positive_duration": _("positive-phase duration"),
              "shock_front_velocity": _("shock-front velocity")}
    rows = []
    for q, value in res.values.items():
        si, unit = units.get(q, ("", ""))
        shown = None if value is None else (_convert(value, si, unit) if si else value)
        status = res.status[q]
        scaled = status.get("scaled_distance_m_kg13")
        rows.append({_("quantity"): labels.get(q, q), _("value"): quantity(shown, unit.replace("*", "·")),
                     _("status"): _status_words(status),
                     _("scaled distance"): DASH if scaled in (None, "") else quantity(float(scaled), "m/kg^(1/3)")})
    show_table(rows, key="blast_table")
    st.caption(_("Kingery–Bulmash airblast as fitted by Swisdak (1994), IATG 01.80; TNT equivalent "
                 "{p} (pressure), {i} (impulse).").format(p=kg_stock(round(res.tnt_pressure_kg)),
                                                          i=kg_stock(round(res.tnt_impulse_kg))))
    for note in res.notes:
        st.caption(note_text(note))


def render() -> None:
    """Draw the Calculator page."""
    st.header(_("Calculator"))
    _pair()
    _blast()
