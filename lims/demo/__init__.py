"""Demo data: a believable district for trying the system out."""
