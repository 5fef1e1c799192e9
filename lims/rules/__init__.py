"""Pure decision code: verdicts, the batch and disposition state machines, deadlines,
permissions and ratings. No database, no request, no clock — ``now`` is passed in."""
