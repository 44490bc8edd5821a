import sys

from rahnama_core.cli import main

sys.exit(main())
