"""Client addresses each employee has signed in from, remembered in memory up to a bound.

Why: the back-off per username across all addresses must not lock an employee out of their own desk while
someone else guesses their password from elsewhere. An address that has succeeded for that username
before still gets its password checked. The least recently successful pairs are forgotten first, so a
flood of sign-ins cannot grow the memory without bound.
"""

from __future__ import annotations

from collections import OrderedDict

from .usernames import fold

__all__ = ["KnownAddresses"]


class KnownAddresses:
    """A bounded set of (username, address) pairs that signed in successfully."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("the known-address capacity must be at least 1")
        self.capacity = capacity
        self._pairs: OrderedDict[tuple[str, str], None] = OrderedDict()

    def remember(self, username: str, address: str) -> None:
        """Record a successful sign-in; forgets the oldest pair when full."""
        key = (fold(username), address)
        self._pairs[key] = None
        self._pairs.move_to_end(key)
        while len(self._pairs) > self.capacity:
            self._pairs.popitem(last=False)

    def known(self, username: str, address: str) -> bool:
        return (fold(username), address) in self._pairs

    def __len__(self) -> int:
        return len(self._pairs)
