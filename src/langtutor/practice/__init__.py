"""Practice: answers checked on the server, explained by the model, mistakes into review."""
