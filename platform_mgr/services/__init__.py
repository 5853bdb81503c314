"""Use cases: load → call the domain → write → audit. Services flush; they never commit."""
