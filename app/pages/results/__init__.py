"""The Results tab: :mod:`.page` (the page), :mod:`.data` (what it reads from the comparison's
files), its sections (:mod:`.metric_sections`, :mod:`.cell_sections`, :mod:`.warm_start`) and
:mod:`.downloads`."""
