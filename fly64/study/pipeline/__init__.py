"""The stages' computations: simulate, overlap, train, reconstruct, compare, and each stage's job
entry."""
