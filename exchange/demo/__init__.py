"""The demo: a replay OAI-PMH server with bundled real records, harvested and served by the hub."""
