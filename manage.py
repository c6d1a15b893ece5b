#!/usr/bin/env python
from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["qcluster"]:  # the worker: glibc's malloc tuned for the model (aitasks/malloc_tuning.py)
        from aitasks.malloc_tuning import reexec_tuned

        reexec_tuned(sys.argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
