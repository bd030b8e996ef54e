"""What a person reads or takes away: store summaries, the set-up preview, the HTML report,
products."""
