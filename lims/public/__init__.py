"""Public pages (no login): the stall QR page, the market board, report verification."""
