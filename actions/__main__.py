"""altdeck's helper commands (the build itself is `doit`)."""
import argparse
import sys

from .init import init


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m actions", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init", help="write a starter dodo.py and config.yaml so plain `doit` works in FOLDER")
    p.add_argument("folder", nargs="?", default=".")
    args = parser.parse_args(argv)
    if args.command == "init":
        for line in init(args.folder):
            print(line)
        print("next: cd into the folder and run `doit`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
