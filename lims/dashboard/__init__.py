"""The district's risk picture: the regulator's dashboard, site and stall pages."""
