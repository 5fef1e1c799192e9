"""The legal follow-up of a positive: stop sale, notification, objection and lab retest,
disposal, informing the regulator."""
