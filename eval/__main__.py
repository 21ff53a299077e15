"""``python -m eval``: the same as ``rag eval``."""
import sys

from eval.run import main

sys.exit(main())
