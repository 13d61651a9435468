"""`python run.py [command]` is the `cms` console script, runnable from a checkout."""
import sys

from cms.cli import main

if __name__ == "__main__":
    sys.exit(main())
