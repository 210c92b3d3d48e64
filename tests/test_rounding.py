"""The table mode (standards.md decision 32): ``--rounding table``.

References: the Annex I-B worked examples (data/rulesets/iatg/worked_examples.csv,
AASTP-1 (2006) pp. I-B-8 to I-B-26), every printed value of Annex I-A Tables 1, 2,
3A and 3B (data/rulesets/iatg/printed_tables.csv), read here with plain loops (not
with depotsafe's loader), and AASTP-1 §1.3.2.1 b) (p. I-3-17): "the next greater
distance in the tables should be used when determining a quantity-distance.
Conversely the next lesser quantity in the tables should be used when determining
an explosives quantity limit".
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotsafe.api import quantity_limit, required_distance
from depotsafe.errors import InputError
from depotsafe.qd import (
    Relation,
    RuleTerm,
    max_neq_kg,
    max_neqs,
    pack_rules,
    required_distance_m,
    required_distances,
    resolve_rule,
)
from depotsafe.rules import load_rule_set
from depotsafe.tablemode import with_rounding

ROOT = Path(__file__).resolve().parents[1]
IATG = ROOT / "data" / "rulesets" / "iatg"
EXE = shutil.which("depotsafe") or str(Path(sys.executable).with_name("depotsafe"))


def _rows(path: Path) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


PRINTED = _rows(IATG / "printed_tables.csv")
EXAMPLES = _rows(IATG / "worked_examples.csv")
RS = load_rule_set("iatg")
TAB = with_rounding(RS, "table")


def _column(table: str, code: str) -> list[tuple[float, float, str]]:
    """(NEQ, printed, status) of one printed column, read with plain loops."""
    out = [(float(r["neq_kg"]), float(r["printed_m"]), r["status"]) for r in PRINTED
           if r["table"] == table and r["function"] == code]
    return sorted(out)


# The one named misprint (decision 32; p. I-A-13, PDF p.170): D13 at 18,000 kg prints 490 for 590.
MISPRINTS = {("1", "D13", 18000.0): 590.0}


def _used(table: str, code: str, q: float, printed: float) -> float:
    return MISPRINTS.get((table, code, q), printed)


def _plain_term(table: str, code: str) -> RuleTerm:
    """A bare term of a function: no minimum, unscaled, at the aggregate NEQ."""
    return RuleTerm(RS.function_index[f"{table}:{code}"], 0.0, 1.0, 0, True, code, f"Table {table} {code}", "test",
                    table)


def _rule_of(term: RuleTerm):
    rule = resolve_rule(RS, "1.1", Relation("barricaded_stack", "barricaded_stack"))
    return type(rule)(rule.division, rule.relation, (term,), (), ())


COLUMNS = sorted({(r["table"], r["function"]) for r in PRINTED if f"{r['table']}:{r['function']}" in RS.function_index})


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300)


# ------------------------------------------------------------ worked examples


def _example_call(row: dict[str, str], rounding: str | None = "table"):
    hd = row["hd"].split()[0]
    cg = ("C" if row["table"] == "3A" else "G") if hd == "1.3" else None
    common = {"pes_face": row["pes_face"] or None, "es_face": row["es_face"] or None,
              "traffic": row["traffic"] or None, "cg": cg}
    if rounding is not None:
        common["rounding"] = rounding
    if row["asked"] == "quantity":
        return quantity_limit(hd, f"{row['distance_m']} m", row["pes_kind"], row["es_kind"], **common)
    return required_distance(hd, f"{row['neq_kg']} kg", row["pes_kind"], row["es_kind"], **common)


# Reproducible printed-table examples whose answer is a number (not a function name).
TABLE_EXAMPLES = [r for r in EXAMPLES if r["reproducible"] == "yes" and r["unit"] != "function"
                  and r["es_kind"] != "vulnerable_building"]


@pytest.mark.parametrize("row", TABLE_EXAMPLES, ids=[r["id"] for r in TABLE_EXAMPLES])
def test_worked_examples_reproduce_their_printed_figures_exactly(row):
    answer = _example_call(row)
    printed = row["printed_answer"].strip()
    if row["asked"] == "quantity":
        if printed.startswith(">"):  # "over 250 000 kg": beyond the end of the tables
            assert answer.max_neq_kg > float(printed[1:])
        else:
            assert answer.max_neq_kg == float(printed), row["id"]
    else:
        assert answer.required_distance_m == float(printed), row["id"]
    assert answer.as_dict()["rounding"] == "table"


def test_the_examples_the_issue_names():
    # p. I-B-8 (PDF p.188): ESH 1 front to the barricaded stack at 65 m: 18,000 kg (exact inverse 19,865 kg)
    q = quantity_limit("1.1", "65 m", "earth_covered", "barricaded_stack", pes_face="front", rounding="table")
    assert q.max_neq_kg == 18000.0
    assert quantity_limit("1.1", "65 m", "earth_covered", "barricaded_stack",
                          pes_face="front").max_neq_kg == pytest.approx(19865.8, abs=0.1)
    # Tables B-I/B-II (pp. I-B-24 to I-B-26): 20 t HD 1.1 from an igloo and a light structure
    figures = [
        (("igloo_7bar", "inhabited_building"), {"pes_face": "front"}, 610.0),
        (("igloo_7bar", "public_traffic_route"), {"pes_face": "front", "traffic": "light"}, 405.0),
        (("igloo_7bar", "igloo_7bar"), {"pes_face": "front", "es_face": "rear"}, 22.0),
        (("barricaded_stack", "barricaded_stack"), {}, 66.0),
        (("barricaded_stack", "workshop_roof_barricaded"), {}, 220.0),
    ]
    for (pes, es), kw, printed in figures:
        table = required_distance("1.1", "20 t", pes, es, rounding="table", **kw)
        formula = required_distance("1.1", "20 t", pes, es, **kw)
        assert table.required_distance_m == printed
        assert formula.required_distance_m < printed  # 602.6, 401.7, 21.7, 65.1, 217.2 m
        assert formula.as_dict()["rounding"] == "formula"


@pytest.mark.parametrize(("args", "key", "printed"), [
    (["--distance", "65 m", "--pes", "earth_covered", "--pes-face", "front", "--es", "barricaded_stack"],
     "max_neq_kg", 18000.0),
    (["--neq", "20 t", "--pes", "igloo_7bar", "--pes-face", "front", "--es", "inhabited_building"],
     "required_distance_m", 610.0),
    (["--neq", "20 t", "--pes", "barricaded_stack", "--es", "public_traffic_route", "--traffic", "light"],
     "required_distance_m", 405.0),
    (["--neq", "20 t", "--pes", "igloo_7bar", "--pes-face", "front", "--es", "igloo_7bar", "--es-face", "rear"],
     "required_distance_m", 22.0),
    (["--neq", "20 t", "--pes", "barricaded_stack", "--es", "barricaded_stack"], "required_distance_m", 66.0),
    (["--neq", "20 t", "--pes", "barricaded_stack", "--es", "workshop_roof_barricaded"], "required_distance_m", 220.0),
])
def test_worked_examples_through_the_installed_command(args, key, printed):
    proc = _cli("qd", "--hd", "1.1", *args, "--rounding", "table", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc[key] == printed
    assert doc["rounding"] == "table"
    assert any("table mode" in n for n in doc["notes"])
    text = _cli("qd", "--hd", "1.1", *args, "--rounding", "table")
    assert text.returncode == 0
    assert "rounding: table" in text.stdout


def test_vulnerable_building_example_reads_the_printed_column_scaled():
    # II-8-4 (AASTP-1 (2006) Annex I-B §8 4), p. I-B-9): 900 m to a vulnerable building, "900 m x 1/2 =
    # 450 m must be used"; D13 prints 445 m at 8,000 kg and 465 m at 9,000 kg: 8,000 kg.  The table
    # mode reads 2 x the printed D13 (decision 32); the formula mode gives the exact inverse, 8,328 kg.
    (row,) = [r for r in EXAMPLES if r["id"] == "II-8-4"]
    d13 = {q: p for q, p, _s in _column("1", "D13")}
    assert (d13[8000.0], d13[9000.0]) == (445.0, 465.0)
    assert 2 * d13[8000.0] <= 900.0 < 2 * d13[9000.0]
    table = _example_call(row)
    formula = _example_call(row, None)
    assert table.max_neq_kg == 8000.0 == float(row["printed_answer"])
    assert formula.max_neq_kg == pytest.approx(float(row["formula_value"]), abs=1.0)
    assert not any("the formula applies" in n for n in table.notes)
    assert any("445 m x 2 = 890 m" in n and "I-B-9" in n for n in table.notes)
    # the installed command gives the same
    args = ["qd", "--hd", "1.1", "--distance", "900 m", "--pes", "earth_covered", "--pes-face", "rear",
            "--es", "vulnerable_building", "--rounding", "table", "--json"]
    proc = _cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["max_neq_kg"] == 8000.0
    # the distance way round: 8,500 kg needs 2 x 465 m (D13 at 9,000 kg, the next tabulated NEQ up)
    proc = _cli("qd", "--hd", "1.1", "--neq", "8500 kg", *args[5:])
    doc = json.loads(proc.stdout)
    assert doc["required_distance_m"] == 2 * d13[9000.0]
    reading = doc["table_reading"]
    assert (reading["printed_m"], reading["scale"], reading["value_m"]) == (465.0, 2.0, 930.0)


def _scaled_term(table: str, code: str, scale: float, min_m: float = 0.0) -> RuleTerm:
    return RuleTerm(RS.function_index[f"{table}:{code}"], min_m, scale, 0, True, code,
                    f"{scale:g} x Table {table} {code}", "test", table)


@given(st.sampled_from(COLUMNS), st.integers(0, 10_000), st.floats(0.0, 1.0),
       st.sampled_from([2.0, 1.5]), st.sampled_from([0.0, 400.0]))
def test_a_scaled_term_reads_scale_times_the_printed_column(column, k, frac, scale, min_m):
    # distance: scale x max(minimum, printed at the next tabulated NEQ up); limit: the largest tabulated
    # NEQ whose scale x max(minimum, printed) is met.  Reference: plain loops over printed_tables.csv.
    table, code = column
    used = [(q, _used(table, code, q, p)) for q, p, _s in _column(table, code)]
    rule = _rule_of(_scaled_term(table, code, scale, min_m))
    packed = pack_rules(TAB, [rule])
    one = np.zeros(1, dtype=np.int64)
    i = 1 + k % (len(used) - 1)
    lo, hi = used[i - 1][0], used[i][0]
    q = lo + frac * (hi - lo)
    if not lo < q <= hi:
        q = hi
    want = scale * max(min_m, used[i][1])
    assert required_distance_m(TAB, rule, q)[0] == want
    assert required_distances(packed, one, np.array([q]))[0][0] == want
    scaled = [scale * max(min_m, p) for _q, p in used]
    j = k % (len(used) - 1)
    d = scaled[j] + frac * (scaled[j + 1] - scaled[j])
    if d >= scaled[-1]:
        return  # the whole column is met: beyond the table
    want_q = max(q for (q, _p), s in zip(used, scaled, strict=True) if s <= d)
    assert max_neq_kg(TAB, rule, d)[0] == want_q
    assert max_neqs(packed, one, np.array([d]))[0][0] == want_q
    if min_m:  # the scaled minimum not met: nil, both paths
        assert max_neq_kg(TAB, rule, scale * min_m - 0.5)[0] == 0.0
        assert max_neqs(packed, one, np.array([scale * min_m - 0.5]))[0][0] == 0.0


# ------------------------------------------------------------ every printed value


@pytest.mark.parametrize(("table", "code"), COLUMNS)
def test_every_printed_value_comes_back_as_printed(table, code):
    term = _plain_term(table, code)
    rule = _rule_of(term)
    col = _column(table, code)
    qs = np.array([q for q, _p, _s in col])
    want = np.array([_used(table, code, q, p) for q, p, _s in col])
    got = np.array([required_distance_m(TAB, rule, q)[0] for q in qs])
    assert np.array_equal(got, want)
    # the many-pair path gives the same
    packed = pack_rules(TAB, [rule])
    d, t = required_distances(packed, np.zeros(qs.size, dtype=np.int64), qs)
    assert np.array_equal(d, want)
    assert np.all(t == 0)
    # misprints aside, the printed value is what comes back; below-formula values stay as printed
    for (_q, p, status), v in zip(col, got, strict=True):
        if status != "misprint":
            assert v == p


def test_misprint_stays_corrected():
    rule = _rule_of(_plain_term("1", "D13"))
    assert required_distance_m(TAB, rule, 18000.0)[0] == 590.0
    a = required_distance("1.1", "18 t", "barricaded_stack", "inhabited_building", rounding="table").as_dict()
    assert a["required_distance_m"] == 590.0
    assert a["table_reading"]["printed_m"] == 490.0
    assert a["table_reading"]["status"] == "misprint"
    assert any("misprint, read as 590 m" in n for n in a["notes"])


def test_printed_below_its_formula_is_said():
    # Tables 3A/3B D2 at 10,000 kg prints 68 m; 3.2 x 10000^(1/3) = 68.94 m (p. I-A-19)
    a = required_distance("1.3", "10 t", "barricaded_stack", "workshop_roof_barricaded", cg="C",
                          rounding="table").as_dict()
    assert a["rule"] == "D2"
    assert a["required_distance_m"] == 68.0
    assert a["table_reading"]["status"] == "below_formula"
    assert any("below its formula (68.94 m" in n for n in a["notes"])
    f = required_distance("1.3", "10 t", "barricaded_stack", "workshop_roof_barricaded", cg="C")
    assert f.required_distance_m == pytest.approx(3.2 * 10000 ** (1 / 3), rel=1e-12)


# ------------------------------------------------------------ between, limits, outside


@given(st.sampled_from(COLUMNS), st.integers(0, 10_000), st.floats(0.0, 1.0, exclude_min=True))
def test_between_two_tabulated_quantities_the_next_one_up(column, k, frac):
    table, code = column
    col = _column(table, code)
    i = 1 + k % (len(col) - 1)
    lo, hi = col[i - 1][0], col[i][0]
    q = lo + frac * (hi - lo)
    if not lo < q <= hi:
        q = hi
    want = _used(table, code, hi, col[i][1])
    rule = _rule_of(_plain_term(table, code))
    assert required_distance_m(TAB, rule, q)[0] == want
    d, _t = required_distances(pack_rules(TAB, [rule]), np.zeros(1, dtype=np.int64), np.array([q]))
    assert d[0] == want


@given(st.sampled_from(COLUMNS), st.integers(0, 10_000), st.floats(0.0, 1.0, exclude_max=True))
def test_limit_is_the_next_lesser_tabulated_quantity(column, k, frac):
    table, code = column
    col = _column(table, code)
    used = [(q, _used(table, code, q, p)) for q, p, _s in col]
    i = k % (len(used) - 1)
    d = used[i][1] + frac * (used[i + 1][1] - used[i][1])
    if d >= used[-1][1]:
        return  # the whole column is met: beyond the table (tested below)
    # the largest tabulated quantity whose printed distance is met (several rows may print the same)
    want = max(q for q, p in used if p <= d)
    rule = _rule_of(_plain_term(table, code))
    assert max_neq_kg(TAB, rule, d)[0] == want
    lim, _t = max_neqs(pack_rules(TAB, [rule]), np.zeros(1, dtype=np.int64), np.array([d]))
    assert lim[0] == want


def test_outside_the_tables_the_formula_with_a_note():
    # below the first tabulated quantity (500 kg in Table 1)
    a = required_distance("1.1", "300 kg", "barricaded_stack", "barricaded_stack", rounding="table")
    f = required_distance("1.1", "300 kg", "barricaded_stack", "barricaded_stack")
    assert a.required_distance_m == f.required_distance_m == pytest.approx(2.4 * 300 ** (1 / 3), rel=1e-12)
    assert any("below the first tabulated quantity" in n for n in a.notes)
    # above the last (250,000 kg): the formula, never less than the last printed distance
    a = required_distance("1.1", "300 t", "barricaded_stack", "barricaded_stack", rounding="table")
    assert a.required_distance_m == pytest.approx(2.4 * 300000 ** (1 / 3), rel=1e-12)
    assert any("above the last tabulated quantity" in n for n in a.notes)
    last = _column("1", "D7")[-1]
    just_above = required_distance("1.1", f"{last[0] + 1} kg", "barricaded_stack", "barricaded_stack",
                                   rounding="table")
    assert just_above.required_distance_m >= last[1]
    # a text minimum: 400 m from a stack to a built-up area (decision 19), the same in both modes
    a = required_distance("1.1", "1 t", "barricaded_stack", "inhabited_building", rounding="table")
    assert a.required_distance_m == 400.0
    assert any("minimum of 400 m from the text governs" in n for n in a.notes)
    # an HD 1.2 fixed distance (the 270 m alternative where people can be evacuated, decision 22)
    kw = {"pes_face": "front", "evacuable": True}
    a = required_distance("1.2.1", "500 kg", "igloo_7bar", "inhabited_building", rounding="table", **kw)
    f = required_distance("1.2.1", "500 kg", "igloo_7bar", "inhabited_building", **kw)
    assert a.required_distance_m == f.required_distance_m == 270.0
    assert any("fixed distance of 270 m, the same in both modes" in n for n in a.notes)
    # a vulnerable building: 2 x IBD reads 2 x the printed D13 (Annex I-B §8 4), p. I-B-9), not the formula:
    # 2 x 610 m at 20 t (p. I-A-13), more than the formula's 2 x 22.2 x 20000^(1/3) = 1,205.2 m
    a = required_distance("1.1", "20 t", "barricaded_stack", "vulnerable_building", rounding="table")
    f = required_distance("1.1", "20 t", "barricaded_stack", "vulnerable_building")
    assert a.required_distance_m == 2 * {q: p for q, p, _s in _column("1", "D13")}[20000.0]
    assert f.required_distance_m == pytest.approx(44.4 * 20000 ** (1 / 3), rel=1e-12)
    assert not any("the formula applies" in n for n in a.notes)
    # a quantity beyond the end of the tables
    q = quantity_limit("1.1", "2000 m", "barricaded_stack", "inhabited_building", rounding="table")
    assert q.max_neq_kg > 250000.0
    assert q.max_neq_kg == quantity_limit("1.1", "2000 m", "barricaded_stack", "inhabited_building").max_neq_kg
    assert any("beyond the last tabulated quantity" in n for n in q.notes)


def test_table_mode_never_below_the_printed_value():
    # every relation of HD 1.1, 1.2.1, 1.2.2 and 1.3 at every tabulated NEQ of its governing column:
    # at least the printed (corrected) value of every term that reads a column
    from depotsafe.qd import all_relations
    from depotsafe.tablemode import column_of

    qs = sorted({float(r["neq_kg"]) for r in PRINTED})
    for division in ("1.1", "1.2.1", "1.2.2", "1.3"):
        for rel in all_relations()[::7]:
            try:
                rule = resolve_rule(RS, division, rel)
            except InputError:
                continue
            for q in qs:
                d = required_distance_m(TAB, rule, q)[0]
                for term in rule.terms:
                    col = column_of(TAB, term)
                    if col is not None and q in col.neq_kg:
                        assert d >= col.table_m[list(col.neq_kg).index(q)]


# ------------------------------------------------------------ many pairs = one pair


@pytest.mark.parametrize("division", ["1.1", "1.2.1", "1.2.2", "1.3", "1.6"])
def test_many_pairs_equal_the_scalar_reference(division):
    from depotsafe.qd import all_relations

    rules = []
    for rel in all_relations():
        try:
            rules.append(resolve_rule(RS, division, rel))
        except InputError:
            continue
    rng = np.random.default_rng(7)
    n = 3000
    ids = rng.integers(0, len(rules), n)
    tab_q = np.array(sorted({float(r["neq_kg"]) for r in PRINTED}))
    q = np.where(rng.random(n) < 0.3, rng.choice(tab_q, n), np.exp(rng.uniform(np.log(1.0), np.log(5e5), n)))
    unit = np.minimum(q, 500.0)
    dist = rng.uniform(0.0, 2000.0, n)
    packed = pack_rules(TAB, rules)
    d, t = required_distances(packed, ids, q, unit)
    lim, lt = max_neqs(packed, ids, dist, unit)
    for k in range(n):
        rd, rt = required_distance_m(TAB, rules[ids[k]], q[k], unit[k])
        assert d[k] == rd, (k, rules[ids[k]].relation)
        assert t[k] == rt
        rl, rlt = max_neq_kg(TAB, rules[ids[k]], dist[k], unit[k])
        assert lim[k] == rl, (k, rules[ids[k]].relation, dist[k])
        assert lt[k] == rlt
        # the limit holds in table mode: its required distance is met
        if 0 < rl < math.inf:
            assert required_distance_m(TAB, rules[ids[k]], rl, unit[k])[0] <= dist[k]


def test_many_pairs_equal_the_scalar_reference_for_vulnerable_buildings():
    # every relation to a vulnerable building (scaled terms, decision 21), at and around 2 x every
    # printed value, so that the boundaries of the scaled columns are met exactly
    from depotsafe.qd import all_relations

    rules = []
    for division in ("1.1", "1.2.1", "1.2.2", "1.3"):
        for rel in all_relations():
            if rel.es_kind != "vulnerable_building":
                continue
            try:
                rules.append(resolve_rule(RS, division, rel))
            except InputError:
                continue
    assert any(t.scale == 2.0 for r in rules for t in r.terms)
    tab_q = np.array(sorted({float(r["neq_kg"]) for r in PRINTED}))
    twice = np.array(sorted({2.0 * float(r["printed_m"]) for r in PRINTED}))
    rng = np.random.default_rng(11)
    n = 2000
    ids = rng.integers(0, len(rules), n)
    q = np.where(rng.random(n) < 0.5, rng.choice(tab_q, n), np.exp(rng.uniform(0.0, np.log(5e5), n)))
    unit = np.minimum(q, 500.0)
    dist = rng.choice(twice, n) + rng.choice([-0.5, 0.0, 0.0, 0.5], n)
    packed = pack_rules(TAB, rules)
    d, t = required_distances(packed, ids, q, unit)
    lim, lt = max_neqs(packed, ids, dist, unit)
    for k in range(n):
        rule = rules[ids[k]]
        assert (d[k], t[k]) == required_distance_m(TAB, rule, q[k], unit[k]), (k, rule.relation)
        assert (lim[k], lt[k]) == max_neq_kg(TAB, rule, dist[k], unit[k]), (k, rule.relation, dist[k])
        if 0 < lim[k] < math.inf:
            assert required_distance_m(TAB, rule, lim[k], unit[k])[0] <= dist[k]


# ------------------------------------------------------------ the whole depot


@pytest.mark.parametrize("seed", [3, 205])
def test_check_in_table_mode_against_the_slow_reference(seed):
    from tests.reference import check_naive as ref
    from tests.test_check_aggregation import _random_depot

    from depotsafe.check import LICENCE_DIVISIONS, CaseType, check_depot

    depot = _random_depot(seed, n_store=6, n_other=7)
    result = check_depot(depot, RS, rounding="table")
    assert result.as_dict()["rounding"] == "table"
    ids = [s.id for s in depot.sites]
    grps = ref.groups(depot, TAB)
    assert sorted(sorted(g) for g in result.groups) == sorted(sorted(ids[i] for i in g) for g in grps)
    listed = {(frozenset(p.get("group", [p["pes"]])), p["es"]): p for p in result.iter_pairs()}
    expected = {}
    for members, cases in ref.owners(depot, TAB, grps):
        for j in range(len(ids)):
            if j in members:
                continue
            d, req = ref.owner_view(depot, TAB, members, cases, j)
            _d2, req2 = ref.owner_view(depot, TAB, members, cases, j, factor=2.0)
            if d < req2:
                expected[(frozenset(ids[m] for m in members), ids[j])] = req
    assert listed.keys() == expected.keys()
    for k, req in expected.items():
        assert listed[k]["required_distance_m"] == req
        assert listed[k]["rounding"] == "table"
        assert listed[k]["rounding_note"].startswith("table mode:")
    sites = {s["id"]: s for s in result.sites}
    for members, _cases in ref.owners(depot, TAB, grps):
        rec = sites[ids[members[0]]]
        for div in LICENCE_DIVISIONS:
            if div not in rec["licence_limit_kg"] or div == "1.6" or rec["licence_at_least"][div]:
                continue
            ct = CaseType(div, ("3A", "3B") if div == "1.3" else ())
            lim, _arg = ref.licence(depot, TAB, members, ct, 0.0)
            got = rec["licence_limit_kg"][div]
            assert (math.inf if got is None else got) == lim, (ids[members[0]], div)


def test_check_command_names_its_mode(tmp_path):
    sample = ROOT / "docs" / "examples" / "small_depot.geojson"
    stock = ROOT / "docs" / "examples" / "small_depot_stock.csv"
    sample = ROOT / "docs" / "examples" / "small_depot_no_stock.geojson"
    for mode in ("formula", "table"):
        proc = _cli("check", str(sample), "--stock", str(stock), "--rounding", mode, "--json")
        assert proc.returncode in (0, 1), proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["rounding"] == mode
        assert all(p["rounding"] == mode for p in doc["pairs"])
        assert all(("rounding_note" in p) == (mode == "table") for p in doc["pairs"] if p["rule"] != "No QD")
        text = _cli("check", str(sample), "--stock", str(stock), "--rounding", mode)
        assert f"Rounding: {mode}" in text.stdout
    default = json.loads(_cli("check", str(sample), "--stock", str(stock), "--json").stdout)
    formula = json.loads(_cli("check", str(sample), "--stock", str(stock), "--rounding", "formula",
                              "--json").stdout)
    assert default == formula


def test_default_is_formula_and_unchanged():
    plain = _cli("qd", "--hd", "1.1", "--neq", "20 t", "--pes", "igloo_7bar", "--pes-face", "front", "--es",
                 "inhabited_building", "--json")
    doc = json.loads(plain.stdout)
    assert doc["rounding"] == "formula"
    assert doc["required_distance_m"] == pytest.approx(22.2 * 20000 ** (1 / 3), rel=1e-12)
    assert "table_reading" not in doc
    q = json.loads(_cli("qd", "--hd", "1.1", "--distance", "65 m", "--pes", "earth_covered", "--pes-face",
                        "front", "--es", "barricaded_stack", "--json").stdout)
    assert q["rounding"] == "formula"
    assert q["max_neq_kg"] == pytest.approx((65 / 2.4) ** 3, rel=1e-9)
    t = json.loads(_cli("qd", "--hd", "1.1", "--distance", "65 m", "--pes", "earth_covered", "--pes-face",
                        "front", "--es", "barricaded_stack", "--rounding", "table", "--json").stdout)
    assert t["rounding"] == "table"
    assert t["max_neq_kg"] == 18000.0


def test_siting_names_its_mode(tmp_path):
    sample = ROOT / "docs" / "examples" / "small_depot.geojson"
    stock = ROOT / "docs" / "examples" / "small_depot_stock.csv"
    sample = ROOT / "docs" / "examples" / "small_depot_no_stock.geojson"
    out = {}
    for mode in ("formula", "table"):
        proc = _cli("siting", str(sample), "--stock", str(stock), "--kind", "barricaded_stack", "--hd", "1.1",
                    "--neq", "2 t", "--cell", "25 m", "--rounding", mode, "--json")
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["rounding"] == mode
        out[mode] = doc["points_allowed"]
        assert 0 < out[mode] < doc["points"]


def test_bad_rounding_is_refused():
    proc = _cli("qd", "--hd", "1.1", "--neq", "1 t", "--pes", "barricaded_stack", "--es", "barricaded_stack",
                "--rounding", "printed")
    assert proc.returncode == 2
    for word in ("--rounding", "formula", "table"):
        assert word in proc.stderr
    with pytest.raises(InputError, match="rounding"):
        required_distance("1.1", "1 t", "barricaded_stack", "barricaded_stack", rounding="printed")
    partial = load_rule_set("dod_partial")
    if not partial.printed:
        with pytest.raises(InputError, match="no printed tables"):
            with_rounding(partial, "table")


def test_validate_in_table_mode_reproduces_the_examples_exactly():
    proc = _cli("validate", "--rounding", "table", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["rounding"] == doc["summary"]["rounding"] == "table"
    cases = {c["id"]: c for c in doc["cases"]}
    assert doc["summary"]["failed"] == 0
    assert cases["II-8-1"]["depotsafe_value"] == 18000.0
    assert cases["II-8-1"]["verdict"] == "pass"
    for cid, printed in (("B-I-1.1-f-IBD", 610.0), ("B-I-LS-1.1-rail", 405.0), ("B-II-ig-1.1-ESH", 22.0),
                         ("B-II-ls-1.1-ESH", 66.0), ("B-II-ls-1.1-WS", 220.0)):
        assert cases[cid]["depotsafe_value"] == printed
        assert cases[cid]["verdict"] == "pass"
        assert "--rounding table" in cases[cid]["command"]
    # the vulnerable building: 2 x the printed D13, 8,000 kg exactly (Annex I-B §8 4), p. I-B-9)
    assert cases["II-8-4"]["depotsafe_value"] == 8000.0
    assert cases["II-8-4"]["verdict"] == "pass"
    assert "judged as formula" not in cases["II-8-4"]["detail"]
    # every printed table value: as printed, the misprint named
    tables = [c for c in doc["cases"] if c["kind"] == "table" and c["verdict"] != "not_checked"]
    assert len(tables) > 1200
    for c in tables:
        if c["verdict"] == "misprint":
            assert c["id"] == "T1-D13-18000kg"
            assert c["depotsafe_value"] == 590.0
        else:
            assert c["verdict"] == "pass", c["id"]
            assert c["depotsafe_value"] == c["printed_value"], c["id"]


# ------------------------------------------------------------ the app


def test_app_rounding_is_one_choice_for_the_calculator_and_the_check():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    at.sidebar.radio(key="k_page").set_value("calculator").run()
    at.selectbox(key="k_calc_pes").set_value("igloo_7bar").run()
    at.selectbox(key="k_calc_pes_face").set_value("front").run()
    at.number_input(key="k_calc_neq").set_value(20.0).run()
    assert at.selectbox(key="k_rounding").value == "formula"
    metric = {m.label: m.value for m in at.metric}
    assert metric["Required distance for 20 t"] == "603 m"  # 602.6 m rounded up
    at.selectbox(key="k_rounding").set_value("table").run()
    assert not at.exception, [e.message for e in at.exception]
    metric = {m.label: m.value for m in at.metric}
    assert metric["Required distance for 20 t"] == "610 m"  # the printed D13 at 20,000 kg (p. I-A-13)
    captions = "\n".join(c.value for c in at.caption)
    assert "table mode: Table 1 D13 at 20,000 kg" in captions
    # the compliance page runs in the same mode and says so
    at.sidebar.radio(key="k_page").set_value("compliance").run()
    assert at.selectbox(key="k_rounding").value == "table"
    at.button(key="run_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Rounding: table" in "\n".join(c.value for c in at.caption)
    assert at.session_state["check"]["result"].rule_set.rounding == "table"
    at.selectbox(key="k_rounding").set_value("formula").run()
    assert "The rounding changed since the last check: run it again." in "\n".join(w.value for w in at.warning)


def test_a_column_that_falls_refuses_the_table_mode_only(tmp_path):
    # A rule set whose D13 is 5 % larger: its misprint row (18,000 kg) reads 620 m, above the printed
    # 610 m at 20,000 kg.  Formula mode still loads and runs; table mode is refused with the reason.
    folder = tmp_path / "iatg_copy"
    shutil.copytree(IATG, folder)
    functions = folder / "functions.csv"
    text = functions.read_text(encoding="utf-8")
    functions.write_text(text.replace("1,D13,power,4500,,22.2,", f"1,D13,power,4500,,{22.2 * 1.05:.4f},"),
                         encoding="utf-8")
    ok = _cli("qd", "--hd", "1.1", "--neq", "20 t", "--pes", "barricaded_stack", "--es", "inhabited_building",
              "--rule-set", str(folder))
    assert ok.returncode == 0, ok.stderr
    bad = _cli("qd", "--hd", "1.1", "--neq", "20 t", "--pes", "barricaded_stack", "--es", "inhabited_building",
               "--rule-set", str(folder), "--rounding", "table")
    assert bad.returncode == 2
    assert "1:D13 falls at 20,000 kg" in bad.stderr


def test_one_table_view_per_rule_set():
    # the caches of the check are keyed by the rule set: one object per mode
    assert with_rounding(RS, "table") is with_rounding(RS, "table") is TAB
    assert with_rounding(TAB, "formula") is RS
    assert with_rounding(RS, "formula") is RS
