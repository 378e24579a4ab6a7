"""Pure rules of disbursement: no web framework, session or NATS."""
