"""`navigation.LaunchBudget`: how many pop-ups and browser launches a page may make (a token bucket)."""

from __future__ import annotations

from launcher.window.navigation import LaunchBudget


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_three_then_one_more_every_ten_seconds() -> None:
    clock = _Clock()
    budget = LaunchBudget(clock)

    assert [budget.take() for _ in range(5)] == [True, True, True, False, False]
    clock.now += 9.9
    assert budget.take() is False
    clock.now += 0.1
    assert budget.take() is True
    assert budget.take() is False


def test_a_quiet_page_gets_its_burst_back_but_never_more() -> None:
    clock = _Clock()
    budget = LaunchBudget(clock)
    for _ in range(3):
        budget.take()
    clock.now += 3600
    assert [budget.take() for _ in range(4)] == [True, True, True, False]
