import pytest

from vault.selectors import _master_keys, data_key_cache, project_key_cache


def vault_caches_clear() -> None:
    """As a new process starts: no key in memory, every key read from the database again."""
    data_key_cache.clear()
    project_key_cache.clear()
    _master_keys.cache_clear()


@pytest.fixture
def cold_keys():
    vault_caches_clear()
    yield vault_caches_clear
    vault_caches_clear()
