"""``make bench`` fails when a function's cold start is over its budget or it loads what it may not."""

from __future__ import annotations

from bench.budgets import BUDGETS, CI_SLACK, DEFAULT_BUDGET, budget, over_budget
from bench.run import verdict
from local.cfn import functions


def _row(function: str, ratio: float, forbidden: list[str] | None = None) -> dict:
    return {"function": function, "cold_ratio": ratio, "cold": {"forbidden_modules": forbidden or []}}


def test_a_function_over_the_default_budget_fails_the_bench(capsys):
    # Given one function within 1.5x and one above it
    results = [_row("GetHealthFunction", 1.49), _row("GetJobFunction", 1.62)]
    # Then the bench fails, naming the one over budget
    problems = verdict(results, [])
    assert problems == ["OVER BUDGET GetJobFunction: cold ratio 1.62 > 1.50 (default budget)"]
    assert "OVER BUDGET GetJobFunction" in capsys.readouterr().out


def test_a_named_budget_holds_only_its_function_and_says_why():
    login = BUDGETS["LoginFunction"]
    assert login.ratio > DEFAULT_BUDGET and "scrypt" in login.reason
    assert over_budget([_row("LoginFunction", login.ratio - 0.01)]) == []
    assert over_budget([_row("LoginFunction", login.ratio + 0.01)])[0].startswith("OVER BUDGET LoginFunction")


def test_every_named_budget_is_a_function_of_the_template():
    names = {fn.logical_id for fn in functions()}
    assert set(BUDGETS) <= names
    assert all(budget(n) >= DEFAULT_BUDGET for n in names)


def test_ci_holds_functions_to_a_looser_bound():
    row = _row("GetMeFunction", DEFAULT_BUDGET + 0.2)
    assert verdict([row], []) and not verdict([row], [], slack=CI_SLACK)
    assert verdict([_row("GetMeFunction", DEFAULT_BUDGET * CI_SLACK + 0.01)], [], slack=CI_SLACK)


def test_a_forbidden_import_fails_the_bench_whatever_the_timing():
    problems = verdict([_row("GetOpenapiFunction", 1.0, ["pydantic", "pydantic.main"])], [])
    assert problems == ["IMPORT RULE GetOpenapiFunction: loaded pydantic, pydantic.main"]


def test_a_function_that_broke_fails_the_bench():
    assert verdict([], [{"function": "GetJobFunction", "error": "child died"}]) == ["FAILED GetJobFunction"]
