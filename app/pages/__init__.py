"""Pages and helpers of the fly64 dashboard (served by ``app/main.py``); views only, no science."""
