"""Built-in jinja2 architecture templates (one per family, shared parts in _*.j2)."""
