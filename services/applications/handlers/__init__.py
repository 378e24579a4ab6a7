"""Use cases of the applications service: one unit of work each."""
