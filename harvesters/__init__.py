"""Getting records into the hub: source protocols (OAI-PMH today), one module each."""
