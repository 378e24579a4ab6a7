"""Use cases of the disbursement service: commands and event handlers, one unit of work each."""
