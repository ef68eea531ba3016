"""JSON from files we did not write (pysot bundles, provenance records, checkpoint headers), parsed
within bounds: a value count checked on the bytes before Python objects are built for them (each
takes 5-8x its text), and nesting too deep for the parser refused in one line instead of a
``RecursionError`` traceback. Callers read the bytes with a size cap (``regular_files``) and then
check the document's shape key by key."""
import json

from ..errors import DatasetError
from ..limits import MAX_JSON_VALUES


def parse_json(data, source, error=DatasetError, max_values=MAX_JSON_VALUES):
    """The document in ``data`` (bytes or text); ``error`` names ``source`` when it cannot be one."""
    separators = data.count(b"," if isinstance(data, bytes) else ",")
    if separators >= max_values:
        raise error(f"{source}: holds more than {max_values:,} values, more than any file of its kind "
                    "(a damaged or wrong file?); refused before parsing")
    try:
        return json.loads(data)
    except RecursionError:
        raise error(f"{source}: JSON nested too deeply to be a file of its kind; refused") from None
    except (ValueError, UnicodeDecodeError) as failure:   # JSONDecodeError is a ValueError
        raise error(f"{source}: not valid JSON ({failure})") from None
