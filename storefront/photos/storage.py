"""Where photo files live: a folder under ``instance/`` by default, or an S3-compatible bucket.

Both are addressed the same way, ``<key>/<name>`` (``name``: ``full.jpg``, ``160.jpg`` …). A
stored file never changes (a new photo gets a new key), so the shop serves them as immutable.
The bucket is reached through boto3, which speaks every S3-compatible service (AWS, MinIO,
Cloudflare R2, Backblaze B2…) and signs requests correctly — no reason to hand-write SigV4.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

_KEY = re.compile(r"[0-9a-f]{32}")
_NAME = re.compile(r"(?:full|\d{2,4})\.jpg")


class PhotoStorage(Protocol):
    def put(self, key: str, files: dict[str, bytes]) -> None: ...

    def get(self, key: str, name: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


def valid(key: str, name: str) -> bool:
    return bool(_KEY.fullmatch(key) and _NAME.fullmatch(name))


class LocalStorage:
    """Files under ``root/<key>/``; each written whole (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, files: dict[str, bytes]) -> None:
        folder = self.root / key
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            handle, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, folder / name)

    def get(self, key: str, name: str) -> bytes | None:
        if not valid(key, name):
            return None
        path = self.root / key / name
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        if _KEY.fullmatch(key):
            shutil.rmtree(self.root / key, ignore_errors=True)


class S3Storage:
    """Objects ``<prefix><key>/<name>`` in one bucket (private: the shop serves them)."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def _object(self, key: str, name: str) -> str:
        return f"{self.prefix}{key}/{name}"

    def put(self, key: str, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            self.client.put_object(Bucket=self.bucket, Key=self._object(key, name), Body=data,
                                   ContentType="image/jpeg", CacheControl="public, max-age=31536000, immutable")

    def get(self, key: str, name: str) -> bytes | None:
        if not valid(key, name):
            return None
        try:
            return bytes(self.client.get_object(Bucket=self.bucket, Key=self._object(key, name))["Body"].read())
        except self.client.exceptions.NoSuchKey:
            return None

    def delete(self, key: str) -> None:
        if not _KEY.fullmatch(key):
            return
        listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=f"{self.prefix}{key}/")
        objects = [{"Key": o["Key"]} for o in listed.get("Contents") or []]
        if objects:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})


def _s3_client(cfg: Any) -> Any:
    import boto3  # only a deployment with a bucket pays for importing it
    from botocore.config import Config

    options: dict[str, Any] = {"region_name": cfg["PHOTO_S3_REGION"] or None,
                               "config": Config(retries={"max_attempts": 4, "mode": "standard"},
                                                connect_timeout=5, read_timeout=20)}
    if cfg["PHOTO_S3_ENDPOINT_URL"]:
        options["endpoint_url"] = cfg["PHOTO_S3_ENDPOINT_URL"]
    if cfg["PHOTO_S3_ACCESS_KEY_ID"]:
        options["aws_access_key_id"] = cfg["PHOTO_S3_ACCESS_KEY_ID"]
        options["aws_secret_access_key"] = cfg["PHOTO_S3_SECRET_ACCESS_KEY"]
    return boto3.client("s3", **options)


def storage(app: Flask | None = None) -> PhotoStorage:
    """The configured storage (made once per app)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get("photo_storage")
    if found is None:
        cfg = app.config
        if cfg["PHOTO_S3_BUCKET"]:
            found = S3Storage(_s3_client(cfg), cfg["PHOTO_S3_BUCKET"], cfg["PHOTO_S3_PREFIX"])
        else:
            found = LocalStorage(Path(app.instance_path) / "photos")
        app.extensions["photo_storage"] = found
    return found
