"""Depot page: load or build a layout, see it on the map, edit the stock."""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd
import streamlit as st

from depotsafe.errors import DepotsafeError
from depotsafe.kinds import kinds
from depotsafe.ui import model, state
from depotsafe.ui.common import (
    DASH,
    KEEP,
    _,
    canonical_text,
    decimal_sign,
    kg_stock,
    kind_label,
    lang,
    show_error,
    show_table,
    typed_number_message,
)
from depotsafe.ui.maps import show_map
from depotsafe.units import TypedNumberError, localized_quantity_text

_LOG = logging.getLogger(__name__)


def _load_section() -> None:
    with st.expander(_("Load a depot"), expanded=False):
        st.caption(_("Start on the bundled sample depot, upload a GeoJSON layout and a stock CSV, or paste a layout."))
        if st.button(_("Load the sample depot"), key="load_sample"):
            fc, rows = model.split_stock(json.loads(model.sample_layout_bytes()))
            state.set_depot(fc, rows, "sample_depot.geojson")
            st.session_state["load_message"] = ("ok", _("Loaded the sample depot."))
        limit = _("At most {mb} MB per file (1 MB = 1,000,000 bytes); a depot layout is a few MB.").format(
            mb=model.MAX_UPLOAD_MB)
        up_layout = st.file_uploader(_("Layout (GeoJSON, GeoPackage, FlatGeobuf, KML, a zipped Shapefile, "
                                       "or a DXF drawing with its mapping file)"),
                                     type=["geojson", "json", "gpkg", "fgb", "kml", "zip", "dxf"],
                                     key="upload_layout",
                                     max_upload_size=model.MAX_UPLOAD_MB, help=limit)
        up_stock = st.file_uploader(_("Stock (CSV, optional)"), type=["csv"], key="upload_stock",
                                    max_upload_size=model.MAX_UPLOAD_MB, help=limit + " " + _(
                                        "In files a quantity has the point as its decimal sign and no group "
                                        "separators (\"1.5 t\", \"1500 kg\"), whatever the language chosen."))
        up_mapping = st.file_uploader(
            _("Mapping file (JSON): required with a DXF drawing"), type=["json"], key="upload_mapping",
            max_upload_size=model.MAX_UPLOAD_MB, help=limit + " " + _(
                "The file depotsafe check reads with --mapping (docs/layout.md). For a DXF drawing it declares "
                "the drawing's units, the projected CRS and a georeference point (a drawing point, its easting "
                "and northing, and the drawing's rotation), the layers of each kind of site and the layer whose "
                "texts are the site ids: depotsafe never guesses them. For a GIS file it names fields of other "
                "names."))
        if st.button(_("Load the uploaded files"), key="load_upload", disabled=up_layout is None):
            assert up_layout is not None
            if model.is_dxf_name(up_layout.name) and up_mapping is None:
                st.session_state["load_message"] = ("error", _(
                    "The file was not loaded; the depot on the page is unchanged.") + "\n\n" + _(
                    "{name} is a DXF drawing: upload its mapping file too (JSON, the file depotsafe check reads "
                    "with --mapping). It must declare the drawing's units, the projected CRS (an EPSG code) and "
                    "a georeference point (a drawing point, its easting and northing, and the drawing's "
                    "rotation), the layers of each kind of site and the layer whose texts are the site ids; "
                    "depotsafe never guesses them (docs/layout.md).").format(name=up_layout.name))
            else:
                _load(up_layout.getvalue(), up_layout.name,
                      None if up_stock is None else up_stock.getvalue(), "" if up_stock is None else up_stock.name,
                      None if up_mapping is None else up_mapping.getvalue(),
                      "" if up_mapping is None else up_mapping.name)
        c1, c2 = st.columns([1, 2])
        n_sites = c1.number_input(_("Sites"), min_value=10, max_value=20_000, value=1000, step=100,
                                  key=f"{KEEP}synthetic_n")
        c2.caption(_("A synthetic depot for training and for trying the app at scale (local metres, "
                     "with deliberate violations)."))
        if c2.button(_("Generate a synthetic depot"), key="load_synthetic"):
            from depotsafe.synthetic import synthetic_depot

            fc, rows = model.split_stock(synthetic_depot(int(n_sites), seed=1))
            state.set_depot(fc, rows, _("synthetic depot ({n} sites)").format(n=int(n_sites)))
            st.session_state["load_message"] = ("ok", _("Generated a synthetic depot of {n} sites.").format(n=int(n_sites)))
        pasted = st.text_area(_("…or paste a GeoJSON layout"), key=f"{KEEP}pasted", height=100)
        if st.button(_("Load the pasted layout"), key="load_pasted"):
            _load(pasted.encode("utf-8"), "pasted.geojson", None, "")
    msg = st.session_state.pop("load_message", None)
    if msg is not None:
        kind, text = msg
        if kind == "ok":
            st.success(text)
        else:
            st.error(text, icon="⚠️")


def _load(layout: bytes, name: str, stock: bytes | None, stock_name: str, mapping: bytes | None = None,
          mapping_name: str = "") -> None:
    try:
        fc, rows = model.read_uploaded(layout, name, stock, stock_name or "stock.csv", mapping,
                                       mapping_name or "mapping.json")
    except DepotsafeError as exc:
        st.session_state["load_message"] = (
            "error",
            _("The file was not loaded; the depot on the page is unchanged.") + f"\n\n{exc}",
        )
        return
    except Exception:  # anything the engine did not foresee: logged, never shown
        _LOG.exception("upload of %r (stock %r) could not be read", name, stock_name)
        files = ", ".join([name] + ([stock_name] if stock is not None else [])
                          + ([mapping_name] if mapping is not None else []))
        st.session_state["load_message"] = (
            "error",
            _("The file was not loaded; the depot on the page is unchanged.") + "\n\n"
            + _("{files} could not be read as a depot layout (an unexpected error, recorded in the "
                "server's log).").format(files=files),
        )
        return
    state.set_depot(fc, rows, name)
    st.session_state["load_message"] = ("ok", _("Loaded {name}.").format(name=name))


def _stock_editor(depot: Any) -> None:
    st.subheader(_("Stock per storehouse"))
    st.caption(_("Edit a cell, add or delete rows; quantities with their unit (\"5 t\", \"200 kg\"). "
                 "The check and the effects use the table as it stands."))
    # the language is in the key: a switch redraws the table from the stock as read, in the new language
    ekey = f"stock_editor_{st.session_state.get('depot_version', 0)}_{lang()}"
    if ekey not in st.session_state:
        st.session_state["stock_base"] = st.session_state.get("stock_rows", [])
    dec = decimal_sign()
    shown = [{k: (localized_quantity_text(v, dec) if k in TYPED_COLUMNS and isinstance(v, str) else v)
              for k, v in r.items()} for r in st.session_state.get("stock_base", [])]
    base = pd.DataFrame(shown, columns=list(model.STOCK_COLUMNS)).astype(str)
    ids = [s.id for s in depot.sites if kinds()[s.kind].holds_explosives != "no"] if depot else []
    edited = st.data_editor(
        base,
        key=ekey,
        num_rows="dynamic",
        width="stretch",
        column_config={
            "site_id": st.column_config.SelectboxColumn(_("site"), options=ids, required=True),
            "item": st.column_config.TextColumn(_("item")),
            "hd": st.column_config.SelectboxColumn(
                _("HD"), options=["1.1", "1.2", "1.2.1", "1.2.2", "1.3", "1.4", "1.5", "1.6"], required=True),
            "cg": st.column_config.SelectboxColumn(_("CG"), options=list("ABCDEFGHJKLNS"), required=True),
            "quantity": st.column_config.TextColumn(_("NEQ"), help=_("net explosive quantity with its unit")),
            "unit_neq": st.column_config.TextColumn(_("NEQ of one round"), help=_("needed for HD 1.6; splits HD 1.2")),
            "form": st.column_config.SelectboxColumn(_("form"), options=["", "substance", "article"]),
        },
    )
    rows = [{k: ("" if v is None or (isinstance(v, float) and pd.isna(v)) else v) for k, v in r.items()}
            for r in edited.to_dict("records")]
    if dec != ".":
        # typed in the user's language: read with its decimal sign, no group separators, nothing guessed;
        # the stock is kept (and saved) with a '.' decimal sign, as the files write it
        try:
            rows = [_canonical_row(r, n) for n, r in enumerate(rows, start=1)]
        except TypedNumberError as exc:
            st.error(typed_number_message(exc) + "\n\n" + _(
                "The stock table is not applied until this is corrected: the check and the effects use the "
                "stock as it was before this edit."), icon="⚠️")
            return
    st.session_state["stock_rows"] = rows
    st.caption(_("The NEQ of each storehouse as read, in kilograms, is in the compatibility table below."))


#: Stock columns holding a typed quantity.
TYPED_COLUMNS = ("quantity", "unit_neq")


def _canonical_row(row: dict[str, Any], n: int) -> dict[str, Any]:
    """One stock row typed in the user's language, with its quantities in the files' '.' notation."""
    out = dict(row)
    labels = {"quantity": _("NEQ"), "unit_neq": _("NEQ of one round")}
    for col in TYPED_COLUMNS:
        v = out.get(col)
        if isinstance(v, str) and v.strip():
            field = _("stock row {n}, {column}").format(n=n, column=labels[col])
            out[col] = canonical_text(v, None, field)
    return out


def _verdict_label(status: str) -> str:
    """The verdict column: a conditional mix (decision 29) is told apart from a plain compatible one."""
    if status == "incompatible":
        return _("NOT compatible")
    if status == "conditional":
        return _("conditional: to confirm")
    return _("compatible")


def _verdicts(depot: Any) -> None:
    st.subheader(_("Compatibility of each storehouse's mix"))
    try:
        rows = model.compatibility_rows(depot)
    except (DepotsafeError, ValueError) as exc:
        show_error(exc, _("The stock could not be read"))
        return
    if not rows:
        st.info(_("No storehouse holds stock."))
        return
    show_table([{
        _("site"): r["site"],
        _("stock"): r["codes"],
        _("NEQ held"): kg_stock(r["neq_kg"]),
        _("verdict"): _verdict_label(r["status"]),
        _("conflicts"): r["conflicts"] or DASH,
        _("conditions"): r["conditions"] or DASH,
        _("source"): r["source"],
    } for r in rows], key="verdicts")


def _siteplan(depot: Any) -> None:
    with st.expander(_("Edit the layout as a site plan (table of buildings)"), expanded=False):
        st.caption(_(
            "One row per rectangular building: centre in local metres (x_m, y_m) or longitude/latitude, "
            "length along the orientation, width, orientation (bearing of the length axis) and door bearing "
            "(outward normal of the door face, for earth-covered kinds). Routes and other shapes stay as they are."))
        if "siteplan_base" not in st.session_state:
            if depot is not None:
                rows, kept = model.siteplan_rows(depot)
            else:
                rows, kept = [], []
            st.session_state["siteplan_base"] = rows
            st.session_state["siteplan_kept"] = kept
            st.session_state["siteplan_version"] = st.session_state.get("siteplan_version", 0) + 1
        kept = st.session_state.get("siteplan_kept", [])
        if kept:
            st.caption(_("Kept from the file: {ids}").format(ids=", ".join(kept)))
        base = pd.DataFrame(st.session_state["siteplan_base"], columns=list(model.SITEPLAN_COLUMNS))
        formats = {"x_m": "%.2f", "y_m": "%.2f", "lon": "%.6f", "lat": "%.6f", "length_m": "%.2f",
                   "width_m": "%.2f", "orientation_deg": "%.1f", "door_bearing_deg": "%.1f", "persons": "%d"}
        headers = {"x_m": _("x east [m]"), "y_m": _("y north [m]"), "lon": _("longitude [°]"),
                   "lat": _("latitude [°]"), "length_m": _("length [m]"), "width_m": _("width [m]"),
                   "orientation_deg": _("orientation [°]"), "door_bearing_deg": _("door bearing [°]"),
                   "persons": _("persons")}
        for col in formats:  # numbers, so that a blank cell is empty rather than "None"
            base[col] = pd.to_numeric(base[col], errors="coerce").astype("float64")
        edited = st.data_editor(
            base, key=f"siteplan_editor_{st.session_state.get('siteplan_version', 0)}", num_rows="dynamic",
            width="stretch",
            column_config={"id": st.column_config.TextColumn(_("id")),
                           "name": st.column_config.TextColumn(_("name")),
                           "kind": st.column_config.SelectboxColumn(_("kind"), options=list(kinds()), required=True,
                                                             help=", ".join(kind_label(k) for k in kinds())),
                           **{c: st.column_config.NumberColumn(headers[c], format=f, help=c)
                              for c, f in formats.items()}},
        )
        c1, c2 = st.columns(2)
        if c1.button(_("Build the layout from the table"), key="build_siteplan"):
            rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in edited.to_dict("records")]
            try:
                from depotsafe.layout import layout_to_geojson

                keep = model.kept_features(layout_to_geojson(depot), kept) if depot is not None and kept else []
                fc = model.layout_from_siteplan(rows, keep)
                model.build_depot(fc, st.session_state.get("stock_rows", []))
            except (DepotsafeError, ValueError) as exc:
                show_error(exc, _("The site plan was not applied; the depot on the page is unchanged."))
            else:
                st.session_state["layout_fc"] = fc  # the same depot, edited: its name stays
                st.session_state["siteplan_base"] = rows
                st.success(_("Layout rebuilt from the site plan."))
        if c2.button(_("Start an empty site plan"), key="empty_siteplan"):
            st.session_state["siteplan_base"] = []
            st.session_state["siteplan_kept"] = []
            st.session_state["siteplan_version"] = st.session_state.get("siteplan_version", 0) + 1
            st.rerun()


def render() -> None:
    """Draw the Depot page."""
    st.header(_("Depot"))
    _load_section()
    depot, _key, err = state.depot()
    if err is not None:
        show_error(err, _("The edited depot was refused; the map and results show the last depot that read cleanly."))
    if depot is None:
        st.warning(_("No depot loaded."))
        return
    st.caption(_("{label}: {n} sites").format(label=st.session_state.get("layout_label", ""), n=len(depot.sites)))
    basemap = st.toggle(_("Basemap (needs internet)"), key=f"{KEEP}basemap_depot", value=False,
                        disabled=depot.is_local)
    show_map(depot, basemap=basemap, key="depot_map")
    _stock_editor(depot)
    _verdicts(depot)
    _siteplan(depot)
    try:
        text = model.depot_geojson(st.session_state["layout_fc"], st.session_state.get("stock_rows", []))
    except (DepotsafeError, ValueError):
        text = None
    if text is not None:
        st.download_button(_("Download the layout (GeoJSON)"), text, file_name="depot.geojson",
                           mime="application/geo+json", key="download_layout")
