"""``python -m callvault.journal``: the journal's migration tools for developers."""

import sys

from callvault.journal.migrate import main

main(sys.argv[1:])
