"""``python -m archive``: the command line lives in ``archive.cli.main``."""
import sys

from archive.cli.common import run_cli
from archive.cli.main import main

if __name__ == "__main__":
    run_cli(lambda: main(sys.argv[1:]))
