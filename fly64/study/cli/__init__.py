"""Sub-commands of the ``fly64`` CLI, one module each (see :mod:`fly64.study.cli.main`)."""
