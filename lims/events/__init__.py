"""Events: rural banquets (农村家宴) and major-event guarantees (重大活动保障)."""
