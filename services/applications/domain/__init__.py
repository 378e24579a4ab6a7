"""Pure rules of the applications service: no web framework, session or NATS."""
