"""Job tests reuse the importer's world (markets, stalls, batches of the example files)."""
from tests.imports.conftest import batches, data_dir, register, run, world  # noqa: F401
