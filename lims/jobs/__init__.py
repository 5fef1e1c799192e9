"""Long work off the request: large imports, reports over many sites, e-mail.

The queue is procrastinate's (``lims.jobs.engine``): on PostgreSQL jobs wait in its tables and
``lims worker`` runs them, retrying with backoff and taking over the jobs of a worker that died;
on SQLite (``make run``) the same jobs run in the web process, in a thread, after the request has
committed. What a user sees of a job — progress, outcome, a generated file — is its row in
``jobs`` (``lims.jobs.services``)."""
