"""Real-time card-fraud classifier with an offline, reproducible ML lifecycle."""

__version__ = "0.1.0"
