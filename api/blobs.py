"""The blob store the settings ask for: one owner of the choice between backends.

`ASSETGRAPH_BLOB_URL=s3://bucket/prefix` is a bucket (credentials, region and endpoint from
the `ASSETGRAPH_S3_*` settings, else the usual `AWS_*` variables), staging uploads in
`<data dir>/staging`; anything else is a directory (`ASSETGRAPH_BLOB_DIR`, or the path of a
`file://` URL).
"""

from api.settings import Settings
from domain.storage import BlobStore, LocalBlobStore
from domain.storage_s3 import S3BlobStore


def open_blob_store(settings: Settings) -> BlobStore:
    if settings.blob_url is not None and settings.blobs_in_bucket:
        return S3BlobStore.from_url(
            settings.blob_url, staging=settings.data_dir / "staging",
            endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key)
    return LocalBlobStore(settings.blobs)
