"""Stock lines, compatibility (AASTP-1 Tables 5, 6) and HD aggregation (Table 4, para 1.3.2.5).

Worked examples are written from the rules as AASTP-1 (2006) Part I states them
(para 1.2.3.2 Tables 4-6 and notes, pages I-2-8 to I-2-11; para 1.3.2.5, pages
I-3-19 and I-3-20), quoted in standards.md sections 1.3 and 1.4, and from the
decisions in data/classification/README.md.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depotsafe.errors import InputError, LayoutError, UnitError
from depotsafe.explosives import (
    StockLine,
    check_compatibility,
    mix_divisions,
    parse_stock_entry,
    qd_division,
    rules,
    stock_line,
)
from depotsafe.units import Q_


def _load_expected_tables():
    # The hand-written expected tables live in test_explosives_tables.py; load
    # it by path (tests are imported with --import-mode=importlib).
    path = Path(__file__).with_name("test_explosives_tables.py")
    spec = importlib.util.spec_from_file_location("_explosives_expected_tables", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_T = _load_expected_tables()
LEGAL, T5_GROUPS, T5_ROWS, T6_GROUPS, T6_ROWS = (
    _T.LEGAL,
    _T.T5_GROUPS,
    _T.T5_ROWS,
    _T.T6_GROUPS,
    _T.T6_ROWS,
)


def L(hd, cg, neq, unit=None, form=None, item=None):
    return stock_line(hd, cg, neq, unit, form, item)


def case_set(mix, skip=()):
    return sorted(
        (c.division, c.neq_kg, c.unit_neq_kg, c.hd13_tables)
        for c in mix.cases
        if c.division not in skip
    )


# --------------------------------------------------------------------------- stock lines


def test_stock_line_si_and_units():
    assert L("1.1", "D", 5000).neq_kg == 5000.0
    assert L("1.1", "D", "5 t").neq_kg == 5000.0
    assert L("1.1", "d", Q_(2.0, "t")).cg == "D"
    line = L("1.2", "E", "100 kg", "1.5 kg", "article", " 155 mm HE ")
    assert (line.unit_neq_kg, line.form, line.item, line.code) == (
        1.5,
        "article",
        "155 mm HE",
        "1.2E",
    )
    assert isinstance(line, StockLine)


def test_parse_stock_entry_forms():
    a = parse_stock_entry({"hd": "1.1", "cg": "D", "neq_kg": 5000}, "stock[0]")
    b = parse_stock_entry({"hd": "1.1", "cg": "D", "neq": "5 t"}, "stock[0]")
    assert a == b == StockLine("1.1", "D", 5000.0)
    c = parse_stock_entry(
        {
            "hd": "1.6",
            "cg": "N",
            "neq": "10 t",
            "unit_neq": "250 kg",
            "item": "bomb",
            "form": "article",
        },
        "s",
    )
    assert (c.unit_neq_kg, c.item, c.form) == (250.0, "bomb", "article")
    d = parse_stock_entry(
        {"hd": "1.2", "cg": "E", "neq_kg": 50, "unit_neq_kg": 0.5}, "s"
    )
    assert qd_division(d) == "1.2.2"


@pytest.mark.parametrize(
    ("hd", "unit", "expected"),
    [
        ("1.1", None, "1.1"),
        ("1.2", None, "1.2.1"),  # decision 7
        ("1.2", 0.72, "1.2.1"),  # > 0.71 kg
        ("1.2", 0.71, "1.2.2"),  # <= 0.71 kg (AASTP-1 para 1.2.1.2 b)
        ("1.2.1", None, "1.2.1"),
        ("1.2.2", None, "1.2.2"),
        ("1.3", None, "1.3"),
        ("1.4", None, "1.4"),
        ("1.5", None, "1.5"),
        ("1.6", 1.0, "1.6"),
    ],
)
def test_qd_division(hd, unit, expected):
    cg = {"1.5": "D", "1.6": "N", "1.4": "S", "1.3": "C"}.get(
        hd, "E" if hd.startswith("1.2") else "D"
    )
    assert qd_division(L(hd, cg, 10.0, unit)) == expected


@pytest.mark.parametrize("hd", sorted(LEGAL))
def test_every_legal_code_accepted_and_others_refused(hd):
    for cg in "ABCDEFGHJKLNS":
        if cg in LEGAL[hd]:
            assert L(hd, cg, 1.0).code == f"{hd}{cg}"
        else:
            with pytest.raises(
                InputError, match=rf"{hd}{cg} is not a legal classification code"
            ):
                L(hd, cg, 1.0)


# Every error message.
@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        (
            ("1.7", "D", 1.0),
            {},
            InputError,
            r"stock\.hd: got '1\.7'; allowed: 1\.1, 1\.2, 1\.2\.1",
        ),
        (
            ("1.2.3", "E", 1.0),
            {},
            InputError,
            r"HD 1\.2\.3 does not exist in AASTP-1 \(2006\).*decision 7",
        ),
        (
            (1.1, "D", 1.0),
            {},
            InputError,
            r"stock\.hd: got 1\.1; the hazard division .* as text",
        ),
        (("1.1", "Z", 1.0), {}, InputError, r"stock\.cg: got 'Z'; allowed: A, B, C"),
        (
            ("1.1", "", 1.0),
            {},
            InputError,
            r"stock\.cg: .*compatibility group .* as text",
        ),
        (
            ("1.1", "H", 1.0),
            {},
            InputError,
            r"1\.1H is not a legal .*HD 1\.1 allows compatibility groups A, B, C, D, E, F, G, J, L.*\[S\]",
        ),
        (("1.2.1", "A", 1.0), {}, InputError, r"1\.2A is not a legal.*HD 1\.2 allows"),
        (
            ("1.1", "D", 0.0),
            {},
            InputError,
            r"stock\.neq: got 0\.0; the mass must be greater than 0 kg",
        ),
        (("1.1", "D", -5.0), {}, InputError, r"greater than 0 kg"),
        (("1.1", "D", "-5 kg"), {}, InputError, r"greater than 0 kg"),
        (("1.1", "D", math.nan), {}, InputError, r"finite"),
        (("1.1", "D", math.inf), {}, InputError, r"finite"),
        (("1.1", "D", "inf kg"), {}, UnitError, r"finite"),
        (("1.1", "D", "5000"), {}, UnitError, r"stock\.neq: .*without a unit"),
        (("1.1", "D", "5 m"), {}, UnitError, r"not a mass"),
        (("1.1", "D", "5 tons"), {}, UnitError, r"ambiguous"),
        (("1.1", "D", True), {}, InputError, r"a mass is expected"),
        (("1.1", "D", None), {}, InputError, r"a mass is required"),
        (("1.1", "D", [5]), {}, InputError, r"a mass is expected"),
        (
            ("1.1", "D", 10.0, 0.0),
            {},
            InputError,
            r"stock\.unit_neq: .*greater than 0 kg",
        ),
        (
            ("1.1", "D", 10.0, 20.0),
            {},
            InputError,
            r"one round cannot exceed the line's NEQ \(10 kg\)",
        ),
        (
            ("1.2.1", "E", 10.0, 0.71),
            {},
            InputError,
            r"HD 1\.2\.1 means an individual NEQ greater than 0\.71 kg",
        ),
        (
            ("1.2.2", "E", 10.0, 0.8),
            {},
            InputError,
            r"HD 1\.2\.2 means an individual NEQ of at most 0\.71 kg",
        ),
        (
            ("1.1", "D", 1.0, None, "liquid"),
            {},
            InputError,
            r"stock\.form: got 'liquid'; allowed: substance, article",
        ),
        (
            ("1.1", "B", 1.0, None, "substance"),
            {},
            InputError,
            r"compatibility group B has no substances: Table 5 .* lists A, C, D, G, L, S",
        ),
        (
            ("1.1", "A", 1.0, None, "article"),
            {},
            InputError,
            r"compatibility group A has no articles: Table 6",
        ),
        (("1.1", "D", 1.0, None, None, 5), {}, InputError, r"stock\.item: .*text"),
        (
            ("1.1", "D", 1.0),
            {"rule_set": "dod"},
            InputError,
            r"rule_set: got 'dod'; allowed: iatg",
        ),
        (("1.1", "D", 1.0), {"field": "sites[2].stock[1]"}, None, None),
    ],
)
def test_stock_line_errors(args, kwargs, exc, match):
    if exc is None:
        assert stock_line(*args, **kwargs).hd == "1.1"
        with pytest.raises(InputError, match=r"sites\[2\]\.stock\[1\]\.cg"):
            stock_line("1.1", "Q", 1.0, field="sites[2].stock[1]")
        return
    with pytest.raises(exc, match=match):
        stock_line(*args, **kwargs)


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        (
            {"hd": "1.1", "cg": "D", "neq_kg": 5, "colour": "red"},
            r"s\.colour: got 'red'; unknown key; allowed keys: hd, cg",
        ),
        ({"cg": "D", "neq_kg": 5}, r"s\.hd: got None; the key 'hd' is required"),
        ({"hd": "1.1", "neq_kg": 5}, r"s\.cg: got None; the key 'cg' is required"),
        ({"hd": "1.1", "cg": "D"}, r"s\.neq_kg: .*the NEQ is required"),
        (
            {"hd": "1.1", "cg": "D", "neq_kg": 5, "neq": "5 kg"},
            r"s\.neq: .*either 'neq_kg' or 'neq', not both",
        ),
        (
            {"hd": "1.1", "cg": "D", "neq_kg": "5 t"},
            r"s\.neq_kg: .*takes a number in kg; use 'neq'",
        ),
        (
            {"hd": "1.1", "cg": "D", "neq": 5000},
            r"s\.neq: got 5000; 'neq' takes text with a unit such as \"5 t\"; use 'neq_kg'",
        ),
        ({"hd": "1.1", "cg": "D", "neq": "5000"}, r"s\.neq: .*without a unit"),
        (
            {"hd": "1.6", "cg": "N", "neq_kg": 5, "unit_neq_kg": 1, "unit_neq": "1 kg"},
            r"either 'unit_neq_kg' or 'unit_neq'",
        ),
        (
            {"hd": "1.2.3", "cg": "E", "neq_kg": 5},
            r"s\.hd: .*HD 1\.2\.3 does not exist",
        ),
    ],
)
def test_parse_stock_entry_errors(entry, match):
    with pytest.raises(InputError, match=match):
        parse_stock_entry(entry, "s")


def test_parse_stock_entry_not_a_mapping():
    with pytest.raises(
        LayoutError, match=r"s: got \['1\.1'\]; a stock entry is an object"
    ):
        parse_stock_entry(["1.1"], "s")


def test_functions_refuse_a_non_stockline():
    with pytest.raises(InputError, match=r"lines\[1\]: .*a StockLine"):
        mix_divisions([L("1.1", "D", 1), ("1.1", "D", 1)])
    with pytest.raises(InputError, match=r"lines\[0\]\.cg: .*1\.1H is not a legal"):
        check_compatibility([StockLine("1.1", "H", 1.0)])
    with pytest.raises(InputError, match=r"hd: got '9'"):
        qd_division(StockLine("9", "D", 1.0))


# --------------------------------------------------------------------------- compatibility


def _expected(table_rows, groups, a, b):
    cell = table_rows[a][groups.index(b)]
    if cell == "" or (a == "L" and b == "L"):  # L: stored apart, even from other L
        return "conflict"
    return "ok"


@pytest.mark.parametrize(
    ("form", "groups", "rows"),
    [("substance", T5_GROUPS, T5_ROWS), ("article", T6_GROUPS, T6_ROWS)],
)
def test_every_pair_of_one_form(form, groups, rows):
    hd_of = {g: next(hd for hd in sorted(LEGAL) if g in LEGAL[hd]) for g in groups}
    for a in groups:
        for b in groups:
            res = check_compatibility(
                [
                    L(hd_of[a], a, 1.0, None, form, "x"),
                    L(hd_of[b], b, 1.0, None, form, "y"),
                ]
            )
            assert res.compatible == (_expected(rows, groups, a, b) == "ok"), (
                form,
                a,
                b,
            )
            assert all(
                c.source.endswith(f"Table {5 if form == 'substance' else 6}")
                or "note" in c.source
                for c in res.conflicts
            )


def test_conflict_fields():
    res = check_compatibility([L("1.1", "D", 1, form="article"), L("1.2", "H", 1)])
    assert not res.compatible
    (c,) = res.conflicts
    assert (c.first, c.second, c.first_code, c.second_code) == (0, 1, "1.1D", "1.2H")
    assert c.reason == "Table 6 (articles) does not permit mixing CG D with CG H"
    assert c.source == "AASTP-1 (2006) Part I §1.2.3, Table 6"


def test_empty_and_single():
    assert check_compatibility([]).compatible
    res = check_compatibility([L("1.1", "L", 1)])
    assert res.compatible
    assert res.effective_cg == ["L"]


def test_t5_note1_un_test_series_3_is_a_condition():
    res = check_compatibility(
        [L("1.3", "C", 1, form="substance"), L("1.1", "D", 1, form="substance")]
    )
    assert res.compatible
    assert not res.conflicts
    assert any(
        "Table 5 note 1" in c and "UN Test Series 3" in c for c in res.conditions
    )


def test_t5_note2_and_t6_note3_l_alone():
    for form, n in (("substance", 2), ("article", 3)):
        two = check_compatibility(
            [
                L("1.1", "L", 1, form=form, item="a"),
                L("1.2", "L", 1, form=form, item="b"),
            ]
        )
        assert not two.compatible
        assert f"note {n}" in two.conflicts[0].source
        assert "including other CG L" in two.conflicts[0].reason
        same = check_compatibility(
            [
                L("1.1", "L", 1, form=form, item="a"),
                L("1.1", "L", 2, form=form, item="a"),
            ]
        )
        assert same.compatible
        unnamed = check_compatibility(
            [L("1.1", "L", 1, form=form), L("1.1", "L", 2, form=form)]
        )
        assert not unnamed.compatible
        other = check_compatibility(
            [L("1.1", "L", 1, form=form), L("1.4", "S", 2, form=form)]
        )
        assert not other.compatible


def test_t5_note3_and_t6_note4_nca_discretion():
    res = check_compatibility(
        [L("1.3", "G", 1, form="substance"), L("1.1", "C", 1, form="substance")]
    )
    assert res.compatible
    assert any(
        "Table 5 note 3" in c and "National Competent Authority" in c
        for c in res.conditions
    )
    res = check_compatibility([L("1.3", "G", 1, form="article"), L("1.1", "F", 1)])
    assert res.compatible
    assert any("Table 6 note 4" in c for c in res.conditions)


def test_t6_note1_b_fuzes_count_as_f():
    res = check_compatibility(
        [
            L("1.1", "B", 1, item="fuze"),
            L("1.1", "D", 100, form="article", item="shell"),
        ]
    )
    assert res.compatible
    assert res.effective_cg == ["F", "D"]
    assert any("Table 6 note 1" in c for c in res.conditions)
    alone = check_compatibility([L("1.1", "B", 1), L("1.4", "S", 1)])
    assert alone.effective_cg == ["B", "S"]


def test_t6_note2_segregation_is_a_condition():
    res = check_compatibility([L("1.1", "F", 1), L("1.1", "E", 1)])
    assert res.compatible
    assert any("Table 6 note 2" in c and "segregated" in c for c in res.conditions)


def test_t6_note5_n_with_cde_counts_as_d():
    for g in "CDE":
        res = check_compatibility(
            [
                L("1.6", "N", 10, 1),
                L("1.1" if g != "C" else "1.3", g, 1, form="article"),
            ]
        )
        assert res.compatible
        assert res.effective_cg[0] == "D"
        assert any("Table 6 note 5" in c for c in res.conditions)


def test_t6_note6_n_families():
    same = check_compatibility(
        [L("1.6", "N", 10, 1, item="bomb"), L("1.6", "N", 20, 1, item="bomb")]
    )
    assert same.effective_cg == ["N", "N"]
    two = check_compatibility(
        [L("1.6", "N", 10, 1, item="bomb"), L("1.6", "N", 20, 1, item="shell")]
    )
    assert two.compatible
    assert two.effective_cg == ["D", "D"]
    assert any("note 6" in c and "counted as CG D" in c for c in two.conditions)
    unnamed = check_compatibility([L("1.6", "N", 10, 1), L("1.6", "N", 20, 1)])
    assert unnamed.effective_cg == ["D", "D"]
    declared = check_compatibility(
        [L("1.6", "N", 10, 1, item="bomb"), L("1.6", "N", 20, 1, item="shell")],
        n_families_compatible=True,
    )
    assert declared.effective_cg == ["N", "N"]
    assert any("declared" in c for c in declared.conditions)


def test_t6_note7_n_with_s():
    res = check_compatibility([L("1.6", "N", 10, 1), L("1.4", "S", 5)])
    assert res.compatible
    assert res.effective_cg == ["N", "N"]
    assert any("note 7" in c for c in res.conditions)
    with_c = check_compatibility(
        [L("1.6", "N", 10, 1), L("1.4", "S", 5), L("1.4", "C", 5, form="article")]
    )
    assert with_c.effective_cg == ["D", "S", "C"]
    families = check_compatibility(
        [L("1.6", "N", 10, 1), L("1.6", "N", 10, 1), L("1.4", "S", 5)]
    )
    assert families.effective_cg == ["D", "D", "S"]


def test_s_s_note6_reference_is_plain_x():
    # Table 6 prints "X6)" at S/S; note 6 is about 1.6N (README decision 14).
    res = check_compatibility([L("1.4", "S", 1, item="a"), L("1.4", "S", 1, item="b")])
    assert res.compatible
    assert res.effective_cg == ["S", "S"]
    assert not res.conditions


def test_reading_n_as_d_never_changes_a_table6_verdict():
    # Justifies not re-checking pairs with the effective group (README decision 13).
    t6 = rules().tables[6]
    for x in t6.groups:
        n, d = t6.cells[("N", x)], t6.cells[("D", x)]
        if n.permitted:
            assert d.permitted, x
            assert all(rules().notes[(6, k)].effect != "isolate" for k in d.notes), x
        else:
            assert not n.notes  # N with x is a plain conflict already


def test_forms_decision25():
    # No form, group in both tables: both tables apply; the strictest holds.
    both = check_compatibility([L("1.1", "C", 1), L("1.1", "D", 1)])
    assert both.compatible
    assert any("Table 5 note 1" in c for c in both.conditions)
    articles = check_compatibility(
        [L("1.1", "C", 1, form="article"), L("1.1", "D", 1, form="article")]
    )
    assert articles.compatible
    assert articles.conditions == []
    # G substance with D substance: note 3 condition; G with L: conflict in both tables.
    gl = check_compatibility([L("1.1", "G", 1), L("1.1", "L", 1)])
    assert {c.source for c in gl.conflicts} == {
        "AASTP-1 (2006) Part I §1.2.3, Table 5",
        "AASTP-1 (2006) Part I §1.2.3, Table 6",
    }
    # A substance with an article-only group: no table has both.
    ab = check_compatibility([L("1.1", "A", 1), L("1.1", "B", 1)])
    assert not ab.compatible
    assert ab.conflicts[0].source == "AASTP-1 (2006) Part I §1.2.3.3 d)"
    # A substance with a C article: Table 5 (A/C blank) applies as the pair is mixed.
    ac = check_compatibility([L("1.1", "A", 1), L("1.3", "C", 1, form="article")])
    assert not ac.compatible
    # C substance with an E article (E only in Table 6): Table 6 says X.
    ce = check_compatibility([L("1.3", "C", 1, form="substance"), L("1.1", "E", 1)])
    assert ce.compatible


def test_h_with_s_but_k_not_with_s():
    assert check_compatibility([L("1.2", "H", 1), L("1.4", "S", 1)]).compatible
    assert not check_compatibility([L("1.2", "K", 1), L("1.4", "S", 1)]).compatible


_CODES = [(hd, cg) for hd, cgs in sorted(LEGAL.items()) for cg in cgs]


@st.composite
def lines_st(draw, min_size=0, max_size=6):
    out = []
    for _ in range(draw(st.integers(min_size, max_size))):
        hd, cg = draw(st.sampled_from(_CODES))
        if hd == "1.2":
            hd = draw(st.sampled_from(["1.2", "1.2.1", "1.2.2"]))
        neq = draw(st.floats(0.001, 1e6, allow_nan=False, allow_infinity=False))
        unit = None
        if hd == "1.6" or draw(st.booleans()):
            unit = draw(st.floats(0.001, 50.0))
            if hd == "1.2.1":
                unit = max(unit, 0.72)
            if hd == "1.2.2":
                unit = min(unit, 0.71)
            unit = min(unit, neq)
            if hd == "1.2.1" and unit <= 0.71:
                unit = None
        item = draw(st.sampled_from([None, "a", "b"]))
        forms = [None] + [
            f for f, g in (("substance", T5_GROUPS), ("article", T6_GROUPS)) if cg in g
        ]
        out.append(L(hd, cg, neq, unit, draw(st.sampled_from(forms)), item))
    return out


@given(lines_st(), st.randoms())
def test_compatibility_order_does_not_matter(lines, rnd):
    perm = list(range(len(lines)))
    rnd.shuffle(perm)
    a = check_compatibility(lines)
    b = check_compatibility([lines[i] for i in perm])
    assert a.compatible == b.compatible
    assert [a.effective_cg[i] for i in perm] == b.effective_cg
    assert len(a.conflicts) == len(b.conflicts)


@given(lines_st(min_size=2, max_size=2))
def test_pair_matches_the_quoted_tables(lines):
    a, b = lines
    res = check_compatibility(lines)
    tables = {"substance": (T5_GROUPS, T5_ROWS), "article": (T6_GROUPS, T6_ROWS)}
    if a.form is not None and a.form == b.form:
        applicable = [tables[a.form]]  # decision 25: one known form, its table
    else:
        applicable = [(g, r) for g, r in tables.values() if a.cg in g and b.cg in g]
    if not applicable:
        expected = False
    else:
        expected = True
        for g, r in applicable:
            cell = r[a.cg][g.index(b.cg)]
            if cell == "" or (
                a.cg == b.cg == "L" and not (a.item and a.item == b.item)
            ):
                expected = False
    assert res.compatible == expected


# --------------------------------------------------------------------------- HD mixing


def test_empty_stock():
    mix = mix_divisions([])
    assert mix.cases == []
    assert mix.neq_by_division == {}
    assert mix.governing_division is None


def test_single_divisions():
    assert case_set(mix_divisions([L("1.1", "D", 500)])) == [("1.1", 500.0, None, ())]
    # 1.5 stored as 1.1 (Table 4, 1.5 with 1.5 is 1.1; standards.md 2.7).
    m = mix_divisions([L("1.5", "D", 800)])
    assert case_set(m) == [("1.1", 800.0, None, ())]
    assert m.neq_by_division == {"1.5": 800.0}
    assert any("1.5 is treated as 1.1" in n for n in m.notes)
    assert case_set(mix_divisions([L("1.4", "S", 80)])) == [("1.4", 80.0, None, ())]
    assert case_set(mix_divisions([L("1.3", "C", 80)])) == [
        ("1.3", 80.0, None, ("3A",))
    ]
    assert case_set(mix_divisions([L("1.3", "G", 80)])) == [
        ("1.3", 80.0, None, ("3B",))
    ]
    # Decision 28: no source assigns F, H, J, K, L to a table; 3A, the larger distance.
    for cg in "FHJKL":
        assert case_set(mix_divisions([L("1.3", cg, 80)])) == [("1.3", 80.0, None, ("3A",))]


def test_rule1_hd14_ignored_but_its_case_kept():
    # para 1.3.2.5 1): 5 t 1.1D + 2 t 1.4S -> 1.1 on 5 t, and 1.4 on its own.
    m = mix_divisions([L("1.1", "D", "5 t"), L("1.4", "S", "2 t")])
    assert case_set(m) == [("1.1", 5000.0, None, ()), ("1.4", 2000.0, None, ())]
    assert m.governing_division == "1.1"
    assert any("note 1" in n for n in m.notes)


def test_rule2_several_12_types_as_121():
    # 300 kg 1.2.1 + 700 kg 1.2.2 -> 1000 kg as 1.2.1 (para 1.3.2.5 2).
    m = mix_divisions([L("1.2.1", "E", 300, 2.0), L("1.2.2", "E", 700, 0.5)])
    assert case_set(m) == [("1.2.1", 1000.0, None, ())]
    assert m.governing_division == "1.2.1"
    m = mix_divisions([L("1.2.2", "E", 300, 0.2), L("1.2", "F", 700, 0.5)])
    assert case_set(m) == [("1.2.2", 1000.0, None, ())]
    # HD "1.2" without a unit NEQ counts as 1.2.1 (decision 7).
    m = mix_divisions([L("1.2.2", "E", 300), L("1.2", "F", 700)])
    assert case_set(m) == [("1.2.1", 1000.0, None, ())]


def test_rule3_several_13_types_larger_table():
    m = mix_divisions([L("1.3", "C", 600), L("1.3", "G", 400)])
    assert case_set(m) == [("1.3", 1000.0, None, ("3A", "3B"))]


def test_rule4_11_with_12():
    # 5000 kg 1.1 + 2000 kg 1.2.2 -> 7000 kg as 1.1 and 7000 kg as 1.2.2.
    m = mix_divisions([L("1.1", "D", 5000), L("1.2.2", "E", 2000, 0.3)])
    assert case_set(m) == [("1.1", 7000.0, None, ()), ("1.2.2", 7000.0, None, ())]
    m = mix_divisions(
        [L("1.1", "D", 5000), L("1.2.2", "E", 2000, 0.3), L("1.2.1", "E", 1000, 3.0)]
    )
    assert case_set(m) == [("1.1", 8000.0, None, ()), ("1.2.1", 8000.0, None, ())]


def test_rule5_11_with_13():
    m = mix_divisions([L("1.1", "D", 5000), L("1.3", "C", 3000)])
    assert case_set(m) == [
        ("1.1", 8000.0, None, ()),
        ("1.3", 8000.0, None, ("3A", "3B")),
    ]
    m = mix_divisions([L("1.1", "C", 5000), L("1.3", "C", 3000)])
    assert case_set(m) == [("1.1", 8000.0, None, ()), ("1.3", 8000.0, None, ("3A",))]


def test_rule6_12_with_13_no_aggregation():
    m = mix_divisions([L("1.2.1", "E", 2000, 4.0), L("1.3", "G", 3000)])
    assert case_set(m) == [("1.2.1", 2000.0, None, ()), ("1.3", 3000.0, None, ("3B",))]
    assert any("cannot be known from a stock list" in n for n in m.notes)
    assert m.governing_division == "1.2.1"


def test_table4_note2d_big_121_rounds_aggregate_as_11():
    # 1.2.1 of 6 kg per round with 1.3: note 2 d) -> the total as 1.1 as well.
    m = mix_divisions([L("1.2.1", "E", 2000, 6.0), L("1.3", "G", 3000)])
    assert case_set(m) == [
        ("1.1", 5000.0, None, ()),
        ("1.2.1", 2000.0, None, ()),
        ("1.3", 3000.0, None, ("3B",)),
    ]
    assert any(
        "note 2" in c.reason and "d)" in c.reason
        for c in m.cases
        if c.division == "1.1"
    )
    # exactly 5 kg is not "> 5 kg"
    assert "1.1" not in {
        c.division
        for c in mix_divisions([L("1.2.1", "E", 2000, 5.0), L("1.3", "G", 3000)]).cases
    }
    # unknown unit NEQ is taken as above 5 kg (README decision 6)
    assert "1.1" in {
        c.division
        for c in mix_divisions([L("1.2", "E", 2000), L("1.3", "G", 3000)]).cases
    }
    # 1.2.2 rounds never trigger d)
    assert "1.1" not in {
        c.division
        for c in mix_divisions([L("1.2.2", "E", 2000), L("1.3", "G", 3000)]).cases
    }
    # a)-c) declared
    m = mix_divisions([L("1.2.2", "E", 2000), L("1.3", "G", 3000)], n2_applies=True)
    assert ("1.1", 5000.0, None, ()) in case_set(m)


def test_rule7_11_12_13():
    m = mix_divisions(
        [
            L("1.1", "D", 1000),
            L("1.2.2", "E", 2000, 0.1),
            L("1.3", "G", 3000),
            L("1.4", "S", 7),
        ]
    )
    assert case_set(m) == [
        ("1.1", 6000.0, None, ()),
        ("1.2.2", 6000.0, None, ()),
        ("1.3", 6000.0, None, ("3B",)),
        ("1.4", 7.0, None, ()),
    ]
    assert m.neq_by_division == {
        "1.1": 1000.0,
        "1.2.2": 2000.0,
        "1.3": 3000.0,
        "1.4": 7.0,
    }


def test_15_with_12_is_11_rule4():
    m = mix_divisions([L("1.5", "D", 100), L("1.2.1", "E", 900, 1.0)])
    assert case_set(m) == [("1.1", 1000.0, None, ()), ("1.2.1", 1000.0, None, ())]


def test_hd16_alone():
    m = mix_divisions(
        [L("1.6", "N", 10000, 250, item="bomb"), L("1.6", "N", 5000, 1000, item="bomb")]
    )
    assert case_set(m) == [("1.6", 15000.0, 1000.0, ())]
    assert m.governing_division == "1.6"
    with pytest.raises(
        InputError,
        match=r"lines\[1\]\.unit_neq: got None; HD 1\.6 needs the NEQ of a single munition.*decision 24",
    ):
        mix_divisions([L("1.6", "N", 10, 1), L("1.6", "N", 10)])


def test_hd16_several_families():
    lines = [
        L("1.6", "N", 10000, 250, item="bomb"),
        L("1.6", "N", 5000, 1000, item="shell"),
    ]
    m = mix_divisions(lines)
    assert case_set(m) == [("1.1", 15000.0, None, ()), ("1.6", 15000.0, 1000.0, ())]
    assert case_set(mix_divisions(lines, hd16_mix_demonstrated=True)) == [
        ("1.6", 15000.0, 1000.0, ())
    ]


def test_hd16_with_11_or_15():
    for hd in ("1.1", "1.5"):
        m = mix_divisions([L("1.6", "N", 1000, 100), L(hd, "D", 500)])
        assert case_set(m) == [("1.1", 1500.0, None, ()), ("1.6", 1000.0, 100.0, ())]
        m2 = mix_divisions(
            [L("1.6", "N", 1000, 100), L(hd, "D", 500)], hd16_mix_demonstrated=True
        )
        assert case_set(m2) == case_set(m)  # Table 4: plain 1.1, no note 3


def test_hd16_with_12():
    lines = [L("1.6", "N", 1000, 100), L("1.2.2", "E", 500, 0.5)]
    # not demonstrated: Table 4 note 3 -> also 1.1; with 1.2 -> rule 4
    assert case_set(mix_divisions(lines)) == [
        ("1.1", 1500.0, None, ()),
        ("1.2.1", 1500.0, None, ()),
        ("1.6", 1000.0, 100.0, ()),
    ]
    # demonstrated: 1.6 with 1.2.2 treated as 1.2.1 (Table 4 row 1.6)
    assert case_set(mix_divisions(lines, hd16_mix_demonstrated=True)) == [
        ("1.2.1", 1500.0, None, ()),
        ("1.6", 1000.0, 100.0, ()),
    ]


def test_hd16_with_13():
    lines = [L("1.6", "N", 1000, 100), L("1.3", "C", 500)]
    assert case_set(mix_divisions(lines)) == [
        ("1.1", 1500.0, None, ()),
        ("1.3", 1500.0, None, ("3A", "3B")),
        ("1.6", 1000.0, 100.0, ()),
    ]
    m = mix_divisions(lines, hd16_mix_demonstrated=True)
    assert case_set(m) == [
        ("1.3", 1500.0, None, ("3A", "3B")),
        ("1.6", 1000.0, 100.0, ()),
    ]
    assert any("declared demonstrated" in n for n in m.notes)


def test_hd16_with_12_and_13_demonstrated_counts_in_both():
    lines = [L("1.6", "N", 1000, 100), L("1.2.2", "E", 500, 0.5), L("1.3", "G", 300)]
    m = mix_divisions(lines, hd16_mix_demonstrated=True)
    assert case_set(m) == [
        ("1.1", 1800.0, None, ()),  # note 2 d): 1.6 counted as 1.2.1 with 100 kg rounds
        ("1.2.1", 1500.0, None, ()),
        ("1.3", 1300.0, None, ("3B",)),
        ("1.6", 1000.0, 100.0, ()),
    ]


# --------------------------------------------------------------------------- properties


@given(lines_st(max_size=7), st.randoms())
def test_mix_order_does_not_matter(lines, rnd):
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    a, b = mix_divisions(lines), mix_divisions(shuffled)
    assert case_set(a) == case_set(b)
    assert a.neq_by_division == b.neq_by_division
    assert a.governing_division == b.governing_division


@given(lines_st(max_size=6), st.floats(0.001, 1e6), st.sampled_from("BCDEFGS"))
def test_adding_14_never_changes_other_cases(lines, neq, cg):
    base = mix_divisions(lines)
    more = mix_divisions([*lines, L("1.4", cg, neq)])
    assert case_set(base, skip=("1.4",)) == case_set(more, skip=("1.4",))
    (c14,) = [c for c in more.cases if c.division == "1.4"]
    assert c14.neq_kg == pytest.approx(
        base.neq_by_division.get("1.4", 0.0) + neq, rel=1e-15
    )


@given(lines_st(max_size=7))
def test_case_totals_consistent(lines):
    m = mix_divisions(lines)
    assert math.fsum(m.neq_by_division.values()) == pytest.approx(
        math.fsum(x.neq_kg for x in lines), rel=1e-12
    )
    non14 = math.fsum(v for d, v in m.neq_by_division.items() if d != "1.4")
    for c in m.cases:
        assert c.neq_kg > 0
        if c.division == "1.4":
            assert c.neq_kg == m.neq_by_division["1.4"]
        else:
            assert c.neq_kg <= non14 * (1 + 1e-12)
        if c.division == "1.6":
            assert c.neq_kg == m.neq_by_division["1.6"]
            assert c.unit_neq_kg == max(x.unit_neq_kg for x in lines if x.hd == "1.6")
        assert (c.division == "1.3") == bool(c.hd13_tables)
    # no quantity is lost: every division present is covered by a case at least as large
    for d, v in m.neq_by_division.items():
        assert any(c.neq_kg >= v * (1 - 1e-12) for c in m.cases), d
    # 1.1 anywhere (or 1.5) -> one case is the whole non-1.4 total as 1.1
    if {"1.1", "1.5"} & set(m.neq_by_division):
        assert any(
            c.division == "1.1" and c.neq_kg == pytest.approx(non14, rel=1e-12)
            for c in m.cases
        )
        assert m.governing_division == "1.1"
    assert (m.governing_division is None) == (not lines)


def _load_naive():
    path = Path(__file__).parent / "reference" / "explosives_naive.py"
    spec = importlib.util.spec_from_file_location("_explosives_naive", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_NAIVE = _load_naive()


@given(lines_st(max_size=7), st.booleans(), st.booleans())
def test_mix_matches_naive_reference(lines, demonstrated, n2):
    got = mix_divisions(lines, hd16_mix_demonstrated=demonstrated, n2_applies=n2)
    expected = _NAIVE.naive_cases(lines, demonstrated=demonstrated, n2_applies=n2)
    assert case_set(got) == expected
