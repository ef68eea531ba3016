"""The metadata of an ONNX model file, read without onnx, torch or a runtime.

An ONNX file is one protobuf ``ModelProto``. Its ``metadata_props`` (field 14: key/value strings)
hold what ``simtrack.export`` records about the model. This reader walks the top-level fields and
seeks past the others (the graph, hundreds of MB for b16), so that a command can refuse a foreign,
damaged or mismatched file in milliseconds, before an engine spends seconds loading it. Only a
regular file is opened, no larger than protobuf can hold, and every length is checked against the
file size and the metadata cap (``limits``) before anything is read.
"""
import os

from ..errors import CheckpointError
from ..limits import MAX_ONNX_BYTES, MAX_ONNX_FIELDS, MAX_ONNX_METADATA_BYTES
from .regular_files import open_sized

_IR_VERSION, _GRAPH, _METADATA = 1, 7, 14


class _Reader:
    def __init__(self, handle, size):
        self.handle, self.size = handle, size

    def position(self):
        return self.handle.tell()

    def varint(self):
        value, shift = 0, 0
        while True:
            byte = self.handle.read(1)
            if not byte:
                raise ValueError("the file ends inside a number")
            value |= (byte[0] & 0x7F) << shift
            if byte[0] < 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ValueError("a number longer than 10 bytes")

    def skip(self, count):
        if self.position() + count > self.size:
            raise ValueError("a field runs past the end of the file")
        self.handle.seek(count, os.SEEK_CUR)

    def read(self, count):
        if self.position() + count > self.size:
            raise ValueError("a field runs past the end of the file")
        data = self.handle.read(count)
        if len(data) != count:
            raise ValueError("the file ends inside a field")
        return data


def _entry(data):
    """``(key, value)`` of one serialised ``StringStringEntryProto``."""
    fields, position = {}, 0
    while position < len(data):
        tag, position = _varint_at(data, position)
        if tag & 7 != 2:
            raise ValueError("a metadata entry with a field that is not a string")
        length, position = _varint_at(data, position)
        if position + length > len(data):
            raise ValueError("a metadata entry runs past its end")
        fields[tag >> 3] = data[position:position + length].decode("utf-8")
        position += length
    return fields.get(1, ""), fields.get(2, "")


def _varint_at(data, position):
    value, shift = 0, 0
    while True:
        if position >= len(data) or shift > 63:
            raise ValueError("a malformed number in a metadata entry")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def read_metadata(path):
    """The ``metadata_props`` of the ONNX model at ``path`` as a dict; a CheckpointError when the file is
    not an ONNX model (or is damaged)."""
    try:
        handle, size = open_sized(path, "exported model", CheckpointError, MAX_ONNX_BYTES,
                                  "one ONNX protobuf message without external data")
        with handle:
            return _walk(_Reader(handle, size), path)
    except OSError as error:
        raise CheckpointError(f"cannot read {path} ({error.strerror or error})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path} is not an ONNX model, or it is damaged ({error}); give a model written "
                              f"by python -m simtrack.export") from None


def _walk(reader, path):
    metadata, seen, metadata_bytes = {}, set(), 0
    for _ in range(MAX_ONNX_FIELDS):
        if reader.position() >= reader.size:
            break
        tag = reader.varint()
        field, wire = tag >> 3, tag & 7
        if field == 0:
            raise ValueError("field number 0")
        seen.add(field)
        if wire == 0:
            reader.varint()
        elif wire == 1:
            reader.skip(8)
        elif wire == 5:
            reader.skip(4)
        elif wire == 2:
            length = reader.varint()
            if field == _METADATA:
                metadata_bytes += length
                if metadata_bytes > MAX_ONNX_METADATA_BYTES:
                    raise ValueError(f"more than {MAX_ONNX_METADATA_BYTES:,} bytes of metadata")
                key, value = _entry(reader.read(length))
                metadata[key] = value
            else:
                reader.skip(length)
        else:
            raise ValueError(f"wire type {wire} at byte {reader.position()}")
    else:
        raise ValueError(f"more than {MAX_ONNX_FIELDS:,} top-level fields")
    if _IR_VERSION not in seen or _GRAPH not in seen:
        raise ValueError("no IR version or no graph")
    return metadata
