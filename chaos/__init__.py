"""`make chaos`: the full lifecycle on PostgreSQL with the stack as separate processes, while
processes are SIGKILLed, NATS and PostgreSQL restarted; then the checks that nothing was lost
and no effect duplicated (docs/reliability.md)."""
