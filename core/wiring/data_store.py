"""The application's store: the configured database, with personal text sealed at rest
under the configured data keys (``WALLETDESK_DATA_KEY`` or ``<data dir>/data.keys``).
Every process that reads or writes users' text opens its store here."""

from __future__ import annotations

from core.config import Settings
from core.storage import store_for_url
from core.storage.keyring import load_sealer
from core.storage.rotation import check_keys
from core.storage.sealed_rows import SealedStore
from core.storage.sealing import Sealer

__all__ = ["open_data_store", "sealer_for"]


def sealer_for(settings: Settings) -> Sealer:
    """The data keys these settings name (the keyring file is generated when neither is set).

    Raises:
        ConfigError: a malformed key or an unreadable keyring (the message names the source, never a key).
    """
    key = settings.data_key.get_secret_value() if settings.data_key is not None else None
    return load_sealer(key, settings.data_dir)


async def open_data_store(settings: Settings, *, check: bool = True) -> SealedStore:
    """Open (and migrate) the database, wrapped to seal and open personal text.

    Raises:
        ConfigError: bad keys; SealError (a ConfigError) when stored text is sealed with
            a key the keyring lacks (``check``); StoreError: the database does not answer.
    """
    sealer = sealer_for(settings)  # before any connection: a bad key fails first
    store = SealedStore(store_for_url(settings.resolved_database_url), sealer)
    await store.open()
    if check:
        try:
            await check_keys(store)
        except BaseException:
            await store.close()
            raise
    return store
