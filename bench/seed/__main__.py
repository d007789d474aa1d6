"""`python -m bench seed`: bench/seed/__init__.py says what it writes."""

import sys

from bench.seed.command import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
