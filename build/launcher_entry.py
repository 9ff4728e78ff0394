"""Entry point of the frozen app: the same `main()` as the `rocketchat-launcher` console script."""

import sys

from launcher.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
