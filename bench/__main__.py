"""`python -m bench` (`make bench`): the start-up benchmark (bench/startup.py).

`python -m bench tokenservice ...` runs the token service benchmarks instead (bench/tokenservice_suite.py:
memory vs Redis, 1 vs 3 instances, a simulated morning); `python -m bench.tokenservice_bench` is the single
warm-token variant; `python -m bench startup ...` names the default explicitly.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["tokenservice"]:
        from bench import tokenservice_suite

        return tokenservice_suite.main(args[1:])
    from bench import startup

    return startup.main(args[1:] if args[:1] == ["startup"] else args)


if __name__ == "__main__":
    sys.exit(main())
