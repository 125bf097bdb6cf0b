"""`python -m warehouse.server`: the embedded warehouse program."""

import sys

from warehouse.server.app import main

sys.exit(main())
