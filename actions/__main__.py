"""`python3 -m altdeck ...` (or `python3 -m actions ...` in a checkout): the `altdeck` command."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
