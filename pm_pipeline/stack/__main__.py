"""`python -m pm_pipeline.stack`: run the services in the foreground until Ctrl-C."""

import sys

from pm_pipeline.stack.services import main

sys.exit(main())
