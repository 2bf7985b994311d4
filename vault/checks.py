from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .crypto import VaultError


@register()
def vault_master_keys_check(app_configs, **kwargs) -> list[Error]:
    """Refuse to run without usable master keys: personal data could be neither written nor read."""
    from .selectors import master_keys

    try:
        master_keys()
    except (VaultError, ImproperlyConfigured) as exc:
        return [Error(str(exc), hint="manage.py kyc_keys new-master --id <name>; see docs/security.md",
                      id="vault.E001")]
    return []
