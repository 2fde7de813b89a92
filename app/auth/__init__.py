"""Token verification (the only code that imports python-jose) and the Principal it yields."""
