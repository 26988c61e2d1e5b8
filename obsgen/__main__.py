import sys

from obsgen.console import main

sys.exit(main())
