"""Pieces shared by the command-line entry points (python -m ingest, python -m archive)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from archive.errors import ArchiveError
from archive.settings import Settings


def add_archive_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--archive-dir",
        metavar="DIR",
        help="archive folder (default: $ARCHIVE_DIR, else var/archive in the project)",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the --archive-dir flag on top."""
    overrides: dict[str, Any] = {}
    if getattr(args, "archive_dir", None):
        overrides["dir"] = Path(args.archive_dir)
    return Settings(**overrides)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def run_cli(main: Callable[[], int]) -> None:
    """Run a CLI: archive errors become one line on stderr and exit status 2, never a traceback."""
    try:
        code = main()
    except (ArchiveError, ValidationError) as e:
        print(f"error: {e}", file=sys.stderr)
        code = 2
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        code = 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)
