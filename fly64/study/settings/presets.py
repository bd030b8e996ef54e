"""Named study settings: each preset overrides some of the study's defaults."""

PRESETS: dict[str, dict] = {
    # tests, tutorials, CI: the whole grid in a few minutes on 2 CPU cores
    "quick": dict(
        methods=["pinn", "lsqml", "epie", "pinn+epie"],
        patch_size=32,
        object_size=160,
        epochs=12,
        model_depth=2,
        snapshot_every=2,
        patience=6,
        baseline_epochs=40,
        baseline_chunk=5,
        baseline_snapshot_every=2,
    ),
    # the app's and `fly64 run`'s default: meaningful science on a laptop CPU. Its 50 PINN
    # epochs keep the grid, every baseline included, within 30 min on 2 cores; the PINN's
    # validation curve flattens only after ≈ 120–160 epochs (gs2 dense 1e5: 0.77 → 0.80,
    # gs1 sparse 1e4: 0.46 → 0.48), which would take the grid to ≈ 50 min (notes/science_v3.md).
    # Raise `epochs`: each cell stops by itself once converged.
    "standard": dict(),
    # the standard grid with error bars: three independent repeats (≈ 3 × 26 min on 2 cores)
    "paper": dict(repeats=[0, 1, 2]),
    # seed-scale sizes (N = 128), for a GPU
    "seed": dict(
        patch_size=128,
        object_size=1024,
        epochs=100,
        batch_size=32,
        model_width=32,
        model_depth=4,
        baseline_epochs=200,
        baseline_chunk=10,
        patience=15,
    ),
}
