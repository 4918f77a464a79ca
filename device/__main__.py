"""``python -m device`` runs the same CLI as ``massage-timer``."""

import sys

from device.cli.main import main

sys.exit(main())
