"""The applications service's event handlers, the only ones consumers.py subscribes."""
