"""Use cases of the monitoring service: one unit of work each."""
