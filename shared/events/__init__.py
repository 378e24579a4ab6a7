"""Event contracts: the CloudEvents envelope (`envelope`), the event data classes (one module per
producer) and the catalogue of them all (`catalogue`)."""
