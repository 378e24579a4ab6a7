"""Pure rules of scoring: no web framework, session or NATS."""
