"""Results: recording, judging, correcting and reviewing."""
