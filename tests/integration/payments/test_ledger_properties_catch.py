"""The ledger property checks catch broken code: the same stories, run against deliberately
broken variants of the payment code, must fail (each stops at its first failing story).

In a module of its own so it runs beside the main property test, not after it."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from khaya import db
from khaya.payments import ledger
from tests.integration.payments.test_ledger_properties import STORY_SETTINGS, MoneyStory

BROKEN_SETTINGS = settings(
    STORY_SETTINGS, max_examples=200, derandomize=True, phases=[Phase.generate], report_multiple_bugs=False
)


class _patched:
    def __init__(self, patches: dict[str, Any]) -> None:
        self._patchers = [mock.patch(target, new) for target, new in patches.items()]

    def __enter__(self) -> None:
        for p in self._patchers:
            p.start()

    def __exit__(self, *exc: object) -> None:
        for p in reversed(self._patchers):
            p.stop()


def test_the_checks_catch_a_skipped_dedupe_record(story_env: None) -> None:
    # The effect is written without the delivery's record: a repeat is no longer known as one.
    with (
        _patched({"khaya.payments.dedupe.record_actions": lambda seen_keys, what: []}),
        pytest.raises(AssertionError, match="dedupe record"),
    ):
        run_state_machine_as_test(MoneyStory, settings=BROKEN_SETTINGS)


def test_the_checks_catch_writes_that_neither_dedupe_nor_check_the_state_they_read(story_env: None) -> None:
    # No dedupe record and no version condition: two racing deliveries of one event both credit.
    from khaya.db import table

    def unconditional(pk: str, sk: str, *, expected_version: int, set: dict[str, Any], **kw: Any) -> db.TxAction:
        return table.tx_update(pk, sk, set={**set, "version": expected_version + 1}, add=kw.get("add"))

    with (
        _patched(
            {
                "khaya.payments.dedupe.record_actions": lambda seen_keys, what: [],
                "khaya.db.tx_update_versioned": unconditional,
            }
        ),
        pytest.raises(AssertionError),
    ):
        run_state_machine_as_test(MoneyStory, settings=BROKEN_SETTINGS)


def test_the_checks_catch_a_failed_transfer_booked_the_wrong_way(story_env: None) -> None:
    # A failed transfer that pays the worker again instead of putting the money back in escrow.
    real = ledger.entry_action

    def wrong_way(job: dict[str, Any], kind: str, *args: Any, **kw: Any) -> db.TxAction:
        return real(job, "payout" if kind == "reversal" else kind, *args, **kw)

    with _patched({"khaya.payments.ledger.entry_action": wrong_way}), pytest.raises(AssertionError):
        run_state_machine_as_test(MoneyStory, settings=BROKEN_SETTINGS)
