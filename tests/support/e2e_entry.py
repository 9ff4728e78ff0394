"""`python -m tests.support.e2e_entry <launcher arguments>`: the launcher's own command line, with the
tests' remote control (tests/support/e2e_driver.py) attached to the window through `launcher.app.run`'s
`attach` hook when ROCKETCHAT_LAUNCHER_E2E names a directory. The product ships no such driver."""

from __future__ import annotations

import sys

from launcher import cli
from tests.support.e2e_driver import from_environment


def main(argv: list[str] | None = None) -> int:
    driver = from_environment()
    return cli.main(argv, attach=driver.attach if driver is not None else None)


if __name__ == "__main__":
    sys.exit(main())
