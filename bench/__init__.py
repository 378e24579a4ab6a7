"""`make bench`: scenarios measured against the project's targets (docs/benchmarks.md), with yardsticks."""
