"""Administration pages for reference data and users."""
