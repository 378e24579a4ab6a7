"""The scoring service's event handlers, the only ones consumers.py subscribes."""
