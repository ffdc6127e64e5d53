import pytest


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_directory(settings, tmp_path):
    """Uploads waiting for their confirmation go to the test's own directory."""
    settings.IMPORT_ROOT = tmp_path / "imports"
