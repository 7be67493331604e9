"""``python -m thermodb`` runs the command line."""

import sys

from thermodb.cli import main

sys.exit(main())
