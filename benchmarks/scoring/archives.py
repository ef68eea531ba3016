"""Results archives (``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.xz``/``.txz``) read in memory with
caps and integrity checks, nothing extracted.

Archives come from cloud drives, often cut short, sometimes hostile: a 1 MB zip can declare a 2 GiB
member, a tar.gz can hold a million empty members, and Python's ``tarfile`` never reads the gzip
trailer, so a damaged archive would be scored silently. So:

* zip or tar is chosen by the file name (a cut-short zip then says so, instead of tarfile's guesses),
  a tar's compression by its first bytes;
* before anything is inflated, the listing is checked: member count, names (no absolute path, no
  ``..``, no backslash, no control character), no name twice (which copy would count?), regular
  files only (links, FIFOs, devices in a tar are refused by name); a zip's member count and the size
  of its central directory are read from its end record first, since zipfile builds an object per
  entry of the directory before anything can be counted;
* zip members are inflated one at a time when asked for, refused when encrypted or compressed with a
  method Python cannot read (Deflate64...) or when their declared size passes the caller's cap (or
  takes the members read past the archive's decompressed cap), and read to their end so that
  zipfile checks their CRC-32 (zipfile stops at the declared size, so a member that inflates to
  more fails its CRC);
* tar members are read in one pass: each member's declared size is checked before it is read, the
  decompressed position is capped, only ``.txt`` members (result and time files) are kept, and the
  compressed stream is read to its end afterwards so that gzip checks its CRC-32 and length, xz its
  check.
Caps come from ``simtrack.limits`` (the sequences to score say how big a member may be); every
refusal is one line naming ``archive:/member``, the limit and the fix.
"""
import posixpath
import tarfile
import zipfile

from simtrack.errors import ResultsError
from simtrack.formats.regular_files import open_regular, too_big
from simtrack.limits import ARCHIVE_TAIL, MAX_NAME_BYTES, ZIP_ENTRY_BYTES
from simtrack.names import text_problem

ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar")
_COMPRESSIONS = ((b"\x1f\x8b", "r:gz"), (b"\xfd7zXZ\x00", "r:xz"), (b"BZh", "r:bz2"))
SUFFIXES = ZIP_SUFFIXES + TAR_SUFFIXES
KEPT_SUFFIX = ".txt"                      # result and time files: the only tar members kept in memory
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_ZIP_METHOD_NAMES = {9: "Deflate64", 98: "PPMd", 93: "Zstandard", 95: "xz", 99: "AES encryption", 6: "implode",
                     1: "shrink", 12: "bzip2", 14: "lzma", 97: "WavPack"}
_CHUNK = 1 << 16


def is_archive(path):
    return str(path).lower().endswith(SUFFIXES)


class Archive:
    """The file members of one archive: ``names`` (paths inside it) and ``read(name, cap, why)``."""

    def __init__(self, path, error, what):
        self.path, self.error, self.what = path, error, what
        self.names = []

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def member(self, name):
        return f"{self.path}:/{name}"

    def refuse(self, message):
        raise self.error(f"{self.path}: {message}")

    def read(self, name, cap, why=""):
        raise NotImplementedError


def open_archive(path, max_members, max_bytes, max_member, error=ResultsError, what="results archive",
                 suffix=None):
    """The ``Archive`` at ``path``: at most ``max_members`` members and ``max_bytes`` decompressed
    bytes (tar: the whole stream; zip: the members read), the listing checked; tar members are read
    here (those of at most ``max_member`` bytes kept), zip members on demand. ``suffix`` overrides
    the file name's."""
    lower = suffix or str(path).lower()
    if lower.endswith(ZIP_SUFFIXES):
        return ZipArchive(path, max_members, max_bytes, error, what)
    if not lower.endswith(TAR_SUFFIXES):
        raise error(f"{path}: not a .zip, .tar, .tar.gz or .tar.xz archive (by its name); extract it, or repack "
                    "it as .zip or .tar.gz")
    return TarArchive(path, (max_members, max_bytes, max_member), error, what)


def _tar_mode(file):
    """The tarfile mode for the compression the file's first bytes announce (its name may be wrong)."""
    head = file.read(6)
    file.seek(0)
    return next((mode for magic, mode in _COMPRESSIONS if head.startswith(magic)), "r:")


def name_problem(name):
    """Why an archive member name cannot be read safely, or None."""
    if name.startswith("/") or name[1:2] == ":":
        return "is an absolute path"
    if "\\" in name:
        return "holds a backslash (a Windows path)"
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return "holds a '..' component"
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES + 64 for part in parts):
        return "holds an over-long name"
    return _character_problem(name)


def _character_problem(name):
    """``names.text_problem``'s character rules (control characters, line separators, undecodable
    bytes) without its length rule: a member's path may be longer than a name of ours. Pieces of
    ``MAX_NAME_BYTES // 4`` characters (4 bytes at most each) never pass that length."""
    if name.isascii() and name.isprintable():
        return None
    step = MAX_NAME_BYTES // 4
    return next(filter(None, (text_problem(name[start:start + step]) for start in range(0, len(name), step))), None)


class _Listing:
    """Checks member names as they come: count, name rules, no name twice."""

    def __init__(self, archive, max_members):
        self.archive, self.max_members, self.seen = archive, max_members, set()

    def add(self, name):
        if len(self.seen) >= self.max_members:
            self.archive.refuse(f"more than {self.max_members:,} members, more than a {self.archive.what} for "
                                "these sequences can need; refused")
        problem = name_problem(name)
        if problem:
            self.archive.refuse(f"member {ascii(name)} {problem}; refused (results archives hold plain relative "
                                "paths)")
        key = posixpath.normpath(name.rstrip("/"))
        if key in self.seen:
            self.archive.refuse(f"member {key} appears twice; which copy counts cannot be known, repack the "
                                "archive with one")
        self.seen.add(key)


class ZipArchive(Archive):
    def __init__(self, path, max_members, max_bytes, error, what):
        super().__init__(path, error, what)
        self._max_bytes, self._inflated, self._inflated_bytes = max_bytes, set(), 0
        self._file = open_regular(path, what, error)
        try:
            self._check_end_record(max_members)
            self._zip = zipfile.ZipFile(self._file)
            infos = self._zip.infolist()
            if len(infos) > max_members:
                self.refuse(f"{len(infos):,} members, more than the {max_members:,} a {what} for these sequences "
                            "can need; refused unread")
            listing = _Listing(self, max_members)
            for info in infos:
                listing.add(info.filename)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as failure:
            self._file.close()
            raise error(f"{path} is not a readable {what} (zip: {failure}); a download cut short? fetch it "
                        "again") from None
        except BaseException:
            self._file.close()
            raise
        self._infos = {info.filename: info for info in infos if not info.is_dir()}
        self.names = list(self._infos)

    def _check_end_record(self, max_members):
        """Refuse on the end record's word, before zipfile parses the central directory into one
        object per entry (a 38 MB zip of 400,000 entries costs it 234 MB): too many members declared,
        or a directory too large for them (zipfile parses it to its declared size, whatever the count)."""
        end = zipfile._EndRecData(self._file)
        if end is None:
            return                                       # not a zip: zipfile says so
        entries, size = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
        if entries > max_members:
            self.refuse(f"{entries:,} members, more than the {max_members:,} a {self.what} for these sequences "
                        "can need; refused unread")
        if size > max(entries, 1) * ZIP_ENTRY_BYTES:
            self.refuse(f"its central directory of {size:,} bytes for {entries:,} members (over "
                        f"{ZIP_ENTRY_BYTES:,} bytes each) is damaged or forged; refused unread")

    def close(self):
        self._zip.close()
        self._file.close()

    def _check_total(self, name, size):
        """The members read stay within the archive's decompressed cap (each counted once)."""
        if name not in self._inflated and self._inflated_bytes + size > self._max_bytes:
            self.refuse(f"more than {self._max_bytes:,} bytes once decompressed (at {name}), more than a "
                        f"{self.what} for these sequences can need; refused")

    def read(self, name, cap, why=""):
        info = self._infos[name]
        member = self.member(name)
        if info.flag_bits & 0x1:
            raise self.error(f"{member} is encrypted; decrypt the archive and repack it")
        if info.compress_type not in _ZIP_METHODS:
            method = _ZIP_METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise self.error(f"{member} is compressed with {method}, which Python's zipfile cannot read; repack "
                             "the archive with plain deflate (zip -r, or Python's zipfile)")
        if info.file_size > cap:
            raise self.error(too_big(member, info.file_size, cap, why, "declares"))
        self._check_total(name, info.file_size)
        try:
            with self._zip.open(info) as handle:
                # to its end (zipfile checks the CRC-32 there); zipfile stops at the declared size, so a
                # member that inflates to more than it declares fails the CRC instead of passing the cap
                data = handle.read(info.file_size + 1)
        except zipfile.BadZipFile as failure:
            raise self.error(f"{member} is damaged ({failure}); fetch the archive again") from None
        except (OSError, EOFError, ValueError, RuntimeError, NotImplementedError) as failure:
            raise self.error(f"{member} cannot be read ({type(failure).__name__}: {failure}); fetch the archive "
                             "again") from None
        except Exception as failure:              # zlib.error, lzma.LZMAError: not OSErrors
            if isinstance(failure, self.error):
                raise
            raise self.error(f"{member} cannot be inflated ({type(failure).__name__}: {failure}); fetch the "
                             "archive again") from None
        if name not in self._inflated:
            self._inflated.add(name)
            self._inflated_bytes += len(data)
        return data


class TarArchive(Archive):
    def __init__(self, path, caps, error, what):
        super().__init__(path, error, what)
        self._kept, self._sizes = {}, {}
        with open_regular(path, what, error) as file:
            try:
                self._read_all(file, _tar_mode(file), *caps)
            except (tarfile.TarError, OSError, EOFError) as failure:
                raise error(f"{path} is not a readable {what}, damaged or cut short ({failure}); fetch it "
                            "again") from None
            except Exception as failure:          # zlib.error, lzma.LZMAError: not OSErrors
                if isinstance(failure, error):
                    raise
                raise error(f"{path} cannot be decompressed ({type(failure).__name__}: {failure}); fetch it "
                            "again") from None

    def _read_all(self, file, mode, max_members, max_bytes, max_member):
        listing = _Listing(self, max_members)
        with tarfile.open(fileobj=file, mode=mode) as archive:
            while True:
                member = archive.next()
                archive.members = []               # tarfile keeps every header otherwise
                if member is None:
                    break
                listing.add(member.name)
                if member.offset_data + member.size > max_bytes:
                    self.refuse(f"more than {max_bytes:,} bytes once decompressed, more than a {self.what} "
                                "for these sequences can need; refused")
                if member.isdir():
                    continue
                if not member.isfile():
                    kind = ("a symbolic link" if member.issym() else "a hard link" if member.islnk()
                            else "a FIFO" if member.isfifo() else "a device" if member.isdev() else "not a file")
                    raise self.error(f"{self.member(member.name)} is {kind}; results archives hold regular files "
                                     "only, repack it without")
                name = member.name
                self._sizes[name] = member.size
                if name.lower().endswith(KEPT_SUFFIX) and member.size <= max_member:
                    self._kept[name] = archive.extractfile(member).read()
            self._drain(archive.fileobj)
        self.names = list(self._sizes)

    def _drain(self, stream):
        """Read past the end-of-archive blocks to the end of the compressed stream: only then does
        gzip check its CRC-32 and length (xz its check); only zero padding may be left."""
        left = ARCHIVE_TAIL
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                return
            left -= len(chunk)
            if left < 0 or chunk.strip(b"\0"):
                self.refuse("data after the end of the tar archive; refused (two archives glued together?)")

    def read(self, name, cap, why=""):
        size = self._sizes[name]
        if size > cap:
            raise self.error(too_big(self.member(name), size, cap, why))
        if name not in self._kept:
            raise self.error(f"{self.member(name)} was not kept in memory (only .txt members are); repack it as .txt")
        return self._kept[name]
