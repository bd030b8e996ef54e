"""What jobs leave on disk, and reading it back: job files, cell results, the comparison cube, the
registry."""
