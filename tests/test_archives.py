"""Results archives: what a zip's end record declares is checked before zipfile parses its central
directory, and the members read stay within the archive's decompressed cap."""
import io
import struct
import zipfile

import pytest

from benchmarks.scoring import archives
from simtrack.errors import ResultsError
from simtrack.limits import ZIP_ENTRY_BYTES

MEMBERS = [(f"seq-{k}.txt", b"1,2,3,4\n" * 50) for k in range(3)]


def zip_file(path, members=MEMBERS):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def forge_end_record(path, entries=None, size=None):
    """Rewrite the end-of-central-directory record: the member count or the directory size it declares."""
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    if entries is not None:
        struct.pack_into("<HH", data, end + 8, entries, entries)
    if size is not None:
        struct.pack_into("<I", data, end + 12, size)
    path.write_bytes(bytes(data))
    return path


def forbid_zipfile(monkeypatch):
    """zipfile.ZipFile must not be reached: the refusal comes from the end record alone."""
    def refuse(*_, **__):
        raise AssertionError("zipfile parsed the central directory")
    monkeypatch.setattr(archives.zipfile, "ZipFile", refuse)


def test_an_intact_zip_opens(tmp_path):
    with archives.open_archive(zip_file(tmp_path / "T.zip"), 10, 1 << 20, 1 << 20) as archive:
        assert sorted(archive.names) == [name for name, _ in MEMBERS]
        assert archive.read("seq-0.txt", 1 << 20) == MEMBERS[0][1]


def test_a_zip_declaring_more_members_than_allowed_is_refused_unparsed(tmp_path, monkeypatch):
    path = forge_end_record(zip_file(tmp_path / "T.zip"), entries=60_000)   # a few hundred bytes
    forbid_zipfile(monkeypatch)
    with pytest.raises(ResultsError, match=r"T.zip: 60,000 members, more than the 1,000 a results archive .* "
                                           "refused unread"):
        archives.open_archive(path, 1_000, 1 << 20, 1 << 20)


def test_a_central_directory_too_large_for_its_members_is_refused_unparsed(tmp_path, monkeypatch):
    path = forge_end_record(zip_file(tmp_path / "T.zip"), size=3 * ZIP_ENTRY_BYTES + 1)
    forbid_zipfile(monkeypatch)
    with pytest.raises(ResultsError, match=f"central directory of {3 * ZIP_ENTRY_BYTES + 1:,} bytes for 3 members"):
        archives.open_archive(path, 1_000, 1 << 20, 1 << 20)


def test_zip_members_read_stay_within_the_decompressed_cap(tmp_path):
    size = len(MEMBERS[0][1])
    with archives.open_archive(zip_file(tmp_path / "T.zip"), 10, 2 * size, 1 << 20) as archive:
        archive.read("seq-0.txt", 1 << 20)
        archive.read("seq-0.txt", 1 << 20)               # read again: counted once
        archive.read("seq-1.txt", 1 << 20)
        with pytest.raises(ResultsError, match=f"more than {2 * size:,} bytes once decompressed"):
            archive.read("seq-2.txt", 1 << 20)


@pytest.mark.parametrize("name", ["a\u2028b.txt", "a\x07.txt", "x/" + "\u00e9" * 120 + "\x01.txt"])
def test_member_names_with_control_characters_or_line_separators_are_refused(tmp_path, name):
    with pytest.raises(ResultsError, match="control character"):
        archives.open_archive(zip_file(tmp_path / "T.zip", [(name, b"1")]), 10, 1 << 20, 1 << 20)


def test_long_member_paths_keep_their_allowance(tmp_path):
    name = "/".join(["\u00e9" * 110] * 3) + ".txt"          # 220-byte parts, over a name of ours
    with archives.open_archive(zip_file(tmp_path / "T.zip", [(name, b"1")]), 10, 1 << 20, 1 << 20) as archive:
        assert archive.names == [name]
