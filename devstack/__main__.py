"""`python -m devstack run|migrate`: the local stack (see devstack.stack)."""

import sys

from devstack.stack import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
