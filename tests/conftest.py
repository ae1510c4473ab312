"""Test-suite settings shared by every test module.

Hypothesis runs derandomised (the same examples on every machine and every run) and keeps
no example database, so `make test` on a fresh clone reproduces exactly; set
``HYPOTHESIS_PROFILE=explore`` to search with fresh random examples instead.
"""

import os

from hypothesis import settings

settings.register_profile("replication", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("explore", database=None, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "replication"))
