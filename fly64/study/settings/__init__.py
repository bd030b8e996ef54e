"""The study model and what it is made of: settings, their types, presets, stages, cells."""
