"""`python -m dashboard generate | build | sql | check`: see dashboard/cli.py."""
import sys

from dashboard.cli import main

if __name__ == "__main__":
    sys.exit(main())
