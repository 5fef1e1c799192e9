"""Sites, stalls, events, stations and suppliers."""
