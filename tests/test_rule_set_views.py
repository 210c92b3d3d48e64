"""Rule-set views: one mechanism for the rounding mode (decision 32) and the degree of protection (decision 31).

A view is the loaded rule set read another way; views of views never stack, each
(rule set, rounding, degree) is one object per process, and a view reads its
protection.csv from the folder its rule set was loaded from, never from the
shipped rule set of the same name.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from depotsafe.api import required_distance
from depotsafe.errors import InputError
from depotsafe.protection import alternatives, base_rule_set, request_of, requested_rule_set
from depotsafe.rules import load_folder, load_rule_set
from depotsafe.tablemode import formula_rule_set, with_rounding

IATG = Path(__file__).resolve().parents[1] / "data" / "rulesets" / "iatg"
RS = load_rule_set("iatg")


@pytest.mark.parametrize("rounding", ["formula", "table"])
@pytest.mark.parametrize("request_", ["default", "high", "virtually-complete"])
def test_views_compose_in_either_order(rounding: str, request_: str) -> None:
    a = requested_rule_set(with_rounding(RS, rounding), request_)
    b = with_rounding(requested_rule_set(RS, request_), rounding)
    assert a is b
    assert (a.rounding, request_of(a)) == (rounding, request_)
    assert (a.loaded or a) is RS  # never a view of a view
    assert formula_rule_set(a) is requested_rule_set(RS, request_)
    assert base_rule_set(a) is with_rounding(RS, rounding)
    assert alternatives(a) is alternatives(RS)


def test_the_default_view_is_the_loaded_rule_set() -> None:
    assert with_rounding(RS, "formula") is RS
    assert requested_rule_set(RS, "default") is RS
    assert formula_rule_set(requested_rule_set(with_rounding(RS, "table"), "default")) is RS


def test_a_copied_rule_set_reads_its_own_protection_file(tmp_path: Path) -> None:
    """A user's copy named "iatg" without protection.csv has no alternatives in any view.

    Before the views were one mechanism, a table-mode view of a user rule set read
    protection.csv from the shipped rule set of the same name.
    """
    folder = tmp_path / "iatg_copy"
    shutil.copytree(IATG, folder)
    (folder / "protection.csv").unlink()
    own = load_folder(folder)
    assert own.name == "iatg"
    assert alternatives(RS)  # the shipped one has them
    for view in (own, with_rounding(own, "table"), requested_rule_set(own, "high"),
                 requested_rule_set(with_rounding(own, "table"), "virtually-complete")):
        assert alternatives(view) == {}
    # asked a degree its cells cannot say, the answer says it is unavailable (a violation in a check)
    answer = required_distance("1.1", "20 t", "igloo_7bar", "igloo_7bar", pes_face="side", es_face="front",
                               rule_set=with_rounding(own, "table"), protection="high")
    shipped = required_distance("1.1", "20 t", "igloo_7bar", "igloo_7bar", pes_face="side", es_face="front",
                                rule_set=with_rounding(RS, "table"), protection="high")
    assert shipped.protection is not None
    assert (shipped.protection["degree"], shipped.protection["available"]) == ("high", True)
    assert shipped.protection["smaller_than_default"]
    # the copy has no degrees: it keeps the cell as printed (decision 15), never the shipped alternative
    assert answer.protection is None
    assert answer.required_distance_m > shipped.required_distance_m


def test_bad_modes_are_refused_before_any_view() -> None:
    with pytest.raises(InputError, match="rounding"):
        with_rounding(RS, "nearest")
    with pytest.raises(InputError, match="protection"):
        requested_rule_set(RS, "complete")
