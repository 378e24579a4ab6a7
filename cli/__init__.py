"""`edf`: the operators' command line. It works on the databases named by the same settings
as the running apps, through the same use cases (so it audits what it changes)."""
