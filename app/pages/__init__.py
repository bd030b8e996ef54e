"""Pages and helpers of the fly64 dashboard (served by ``app/main.py``); views only, no science.

:mod:`.dashboard` holds one tab per page, each a :class:`~.page.Page`: the Study tab
(:mod:`.study`), the data tabs :mod:`.diffraction_page` and :mod:`.overlap_page` (both built on
:mod:`.data_page_base`), :mod:`.live_page` and the Results tab (:mod:`.results`). Shared by
several tabs: :mod:`.config`, :mod:`.common`, :mod:`.scene_table` and :mod:`.preview_panel`.
"""
