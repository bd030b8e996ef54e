"""fly64: how ptychographic reconstruction quality depends on photon dose and scan overlap.

Layers, each importing only those before it: ``physics`` → ``data`` → ``overlap`` →
``models`` / ``baseline`` → ``metrics`` → ``study``. The Panel app (``app/``) sits on top.

Conventions shared by every layer (see ``docs/architecture.md#conventions``):

* arrays are row-major; positions are ``(y, x)`` in object pixels and mark the **centre**
  of the N×N window, whose rows are ``y - N//2 … y - N//2 + N - 1`` (columns alike);
* object ``O`` is complex64 (H, W), probe ``P`` complex64 (N, N), exit wave ``ψ = P·O[window]``;
* far field ``F = fft2(ψ, norm="ortho")``, intensity ``|F|²`` stored ``fftshift``-ed (DC at N//2);
* dose = expected photons per pattern; measured counts are Poisson draws from a seeded generator.
"""

__version__ = "0.1.0"
