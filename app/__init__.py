"""Casusregie: case management for Zorg- en Veiligheidshuizen."""

__version__ = "0.1.0"
# The version of the HTTP API (its contract), apart from the package's: its major is the `/v1` of the paths, and it
# is sent in every response's `API-Version` header (Logius ADR /core/version-header) and is the document's
# info.version. Raise the minor for additions, the patch for fixes; a breaking change is a /v2.
API_VERSION = "1.0.0"
