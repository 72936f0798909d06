"""Command-line interface: ``deorbit``."""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from . import BACKEND, __version__

    parser = argparse.ArgumentParser(
        prog="deorbit",
        description="Monte Carlo reentry engine: when and how a decaying spacecraft comes "
                    "down, and what it risks on the ground.")
    parser.add_argument("--version", action="version",
                        version=f"deorbit {__version__} (kernel backend: {BACKEND})")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
