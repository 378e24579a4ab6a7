"""`make bench`: scenarios measured against DESIGN.md's targets, with yardsticks."""
