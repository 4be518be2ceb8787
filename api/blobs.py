"""The blob store the settings ask for: one owner of the choice between backends."""

from api.settings import Settings
from domain.storage import BlobStore, LocalBlobStore


def open_blob_store(settings: Settings) -> BlobStore:
    return LocalBlobStore(settings.blobs)
