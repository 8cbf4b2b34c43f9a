"""Key plumbing: keys and index keys as items, and parts that cannot collide."""

from __future__ import annotations

import pytest

from khaya.db.keys import IndexKey, Key, join, part


def test_a_key_is_a_pair_and_an_item() -> None:
    key = Key("JOB#j1", "META")
    assert tuple(key) == ("JOB#j1", "META")
    assert key.item() == {"pk": "JOB#j1", "sk": "META"}


def test_index_keys_carry_the_gsi_attribute_names() -> None:
    assert IndexKey("gsi1", "USER#u1", "JOB#t#j1").item() == {"gsi1pk": "USER#u1", "gsi1sk": "JOB#t#j1"}


@pytest.mark.parametrize("bad", ["", "a#b", "#"])
def test_a_part_that_could_collide_is_refused(bad: str) -> None:
    # "plumbing#cpt" as a category would read another city's list
    with pytest.raises(ValueError):
        part(bad)
    with pytest.raises(ValueError):
        join("ok", bad)
