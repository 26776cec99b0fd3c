import sys

from roadie_agent.cli import main

sys.exit(main())
