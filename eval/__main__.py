"""``python -m eval``: the same as ``rag eval``."""
import sys

from .run import main

sys.exit(main())
