"""`python -m bench` (`make bench`): the start-up benchmark (bench/startup.py).

`python -m bench tokenservice ...` runs the token service throughput benchmark instead
(bench/tokenservice_bench.py); `python -m bench startup ...` names the default explicitly.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["tokenservice"]:
        from bench import tokenservice_bench

        tokenservice_bench.main(args[1:])
        return 0
    from bench import startup

    return startup.main(args[1:] if args[:1] == ["startup"] else args)


if __name__ == "__main__":
    sys.exit(main())
