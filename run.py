"""`python run.py [command]` is the `cms` console script, runnable from a checkout."""
import sys

try:
    from cms.cli import main
except KeyboardInterrupt:
    # Ctrl-C in the moment the CMS is imported, before main() can catch it: the same line
    # and exit code as later, not a traceback through importlib
    print("cms: interrupted", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
