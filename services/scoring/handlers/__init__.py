"""Use cases of the scoring service: one unit of work each."""
