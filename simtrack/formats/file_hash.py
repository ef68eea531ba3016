"""The sha256 of a file's bytes: how checkpoints, exported models and trackers' files are identified
in manifests, provenance records and the export cache."""
import hashlib


def file_sha256(path, chunk=1 << 20) -> str:
    """The hex sha256 of the file at ``path``, read in ``chunk``-byte blocks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
