"""The Study tab: :mod:`.page` (the page), :mod:`.form` (the settings), :mod:`.tables` (the grid
and the jobs) and :mod:`.actions` (submitting and cancelling jobs through the runner)."""
