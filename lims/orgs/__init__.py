"""The organisation tree: jurisdictions, testing organisations, their stations."""
