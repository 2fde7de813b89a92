"""Case-type ladders as data, and the engine that builds one `transitions` machine per ladder.

Use `app.workflows.engine.get_engine()`; this package has no database and no HTTP.
"""
