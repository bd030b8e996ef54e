"""fly64 dashboard entry point: `panel serve app/`."""

import holoviews as hv
import numpy as np
import panel as pn

from fly64.physics import expected_intensity, make_probe, make_test_object, raster_scan
from fly64.study import Study

pn.extension()
hv.extension("bokeh")

study = Study.preset("standard")
obj = make_test_object((study.object_size, study.object_size))
probe = make_probe(study.patch_size)
position = raster_scan(obj.shape, study.patch_size, study.scan_step)[:1]
import torch  # noqa: E402

pattern = expected_intensity(torch.as_tensor(obj), torch.as_tensor(probe), torch.as_tensor(position))[0]
image = hv.Image(np.log10(pattern.numpy() + 1e-9), label="log10 expected intensity").opts(
    cmap="viridis", colorbar=True, width=420, height=380
)
pn.Column("# fly64", pn.Param(study, show_name=False), image).servable(title="fly64")
