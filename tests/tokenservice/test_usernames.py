"""How the token service folds usernames before counting them, and what a log line says for one.

Fast and pure: the real directory (slapd) matching the same spellings is in test_username_spellings.py."""

from __future__ import annotations

import pytest

from tokenservice.usernames import fold, log_name, printable


@pytest.mark.parametrize(
    "spelling",
    ["alice", "ALICE", "ａｌｉｃｅ", "Ａlice", " alice ", "aliｃe"],
)
def test_every_spelling_slapd_binds_as_alice_folds_to_one_key(spelling: str) -> None:
    assert fold(spelling) == "alice"


def test_a_decomposed_umlaut_and_a_composed_one_fold_alike() -> None:
    assert fold("ju\u0308rgen") == fold("jürgen") == fold("JÜRGEN") == "jürgen"


def test_runs_of_white_space_count_as_one_space() -> None:
    assert fold("mary\u00a0 \t ann") == fold("Mary Ann") == "mary ann"


def test_different_people_stay_different() -> None:
    assert len({fold(name) for name in ("alice", "alicia", "al ice", "bob")}) == 4


def test_a_name_the_directory_knows_is_logged_as_the_directory_spells_it() -> None:
    assert log_name("ＡＬＩＣＥ", "alice") == "alice"


def test_an_unknown_name_is_logged_as_a_keyed_hash_equal_for_every_spelling() -> None:
    typed = "Winter2026!Tr0ub4dor"
    logged = log_name(typed, None)
    assert logged.startswith("unknown-") and len(logged) == len("unknown-") + 12
    assert typed not in logged and typed.casefold() not in logged
    assert log_name(typed.upper(), None) == log_name(typed.casefold(), None)  # one client's attempts
    assert log_name("another guess", None) != logged


def test_a_logged_name_cannot_forge_a_log_line_and_is_bounded() -> None:
    assert printable("alice\nlogin ok user=admin") == "alice?login ok user=admin"
    assert len(printable("x" * 500)) == 64
