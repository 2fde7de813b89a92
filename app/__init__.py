"""Casusregie: case management for Zorg- en Veiligheidshuizen."""

__version__ = "0.1.0"
