"""``python -m t32sim.server serve ...``: the live server without the full CLI."""
import sys

from t32sim.server.cli import main

sys.exit(main())
