"""Pure rules of monitoring: no web framework, session or NATS."""
