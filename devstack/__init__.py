"""Development tooling: the local runner (`python -m devstack run`, what `make run` does), its
process supervision, the temporary PostgreSQL clusters of the bench and the chaos run, and the
migration helper of `make revision`. None of it runs in production: `shared`, `services` and the
`gateway` never import this package (an import contract in pyproject.toml says so)."""
