"""``make mutate``'s tables stay true: every module it mutates and every test it runs exists, and
an equivalence entry names a mutated module and says why (bench/mutation/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.mutation.run import (
    LAYER,
    ROOT,
    Equivalent,
    Module,
    Mutant,
    Result,
    account,
    changed_lines,
    function_of,
    load_config,
    load_equivalents,
)


def test_every_mutated_module_and_its_tests_exist() -> None:
    settings, modules = load_config()
    assert settings.min_killed_percent >= 85 and modules
    for module in modules:
        assert (LAYER / module.source).is_file(), module
        assert module.tests, module
        for test in module.tests:
            path = Path(test.split("::")[0])
            assert (ROOT / path).exists(), test
            if "::" in test:
                assert f"def {test.split('::')[1]}(" in (ROOT / path).read_text(encoding="utf-8"), test


def test_every_equivalent_mutant_names_a_mutated_module_and_a_reason() -> None:
    names = {m.name for m in load_config()[1]}
    for entry in load_equivalents():
        assert entry.module in names, entry
        assert len(entry.reason.split()) >= 5, entry  # a reason, not a shrug


@pytest.mark.parametrize(
    ("mutant", "function"),
    [
        ("khaya.market.jobs.x_cancel_job__mutmut_4", "cancel_job"),
        ("khaya.db.cursor.x__b64d__mutmut_6", "_b64d"),
        ("khaya.db.table.xǁPageǁof__mutmut_2", "Page.of"),
    ],
)
def test_a_mutant_is_filed_under_its_function(mutant: str, function: str) -> None:
    assert function_of(mutant) == function


def test_a_survivor_is_accounted_for_only_by_an_entry_for_the_same_change() -> None:
    diff = "--- a\n+++ b\n@@ -1 +1 @@\n-    return a < b\n+    return a <= b\n"
    was, now = changed_lines(diff)
    assert (was, now) == ("return a < b", "return a <= b")
    module = Module("db.cursor", "khaya/db/cursor.py", ("tests/unit/db/test_cursor.py",))
    result = Result(module, 1.0, [Mutant("khaya.db.cursor.x_f__mutmut_1", "survived", "f", was, now)])
    listed = Equivalent("db.cursor", "f", was, now, "both bounds are never reached by any key")
    other = Equivalent("db.cursor", "f", was, "return a > b", "a different change entirely, not this one")
    # Then the matching entry accounts for it, and the other is reported as matching nothing
    assert account(result, [listed, other]) == [other]
    assert result.survivors[0].reason == listed.reason and not result.unaccounted
