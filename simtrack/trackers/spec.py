"""Tracker specs: which tracker to build, with which options, and what identifies its code.

A spec names a class or factory as ``package.module:Object`` (``Object.attr`` reaches into it), or
one of the built-in names (``simtrack``, ``mil``). Options are ``key=value`` texts whose values
are read as Python literals (``2`` int, ``0.5`` float, ``[1, 2]`` list, ``'x'`` string; ``true``,
``false`` and ``none`` in lower case too) and stay strings otherwise.

Nothing here runs the tracker's module before it is built: ``provenance`` locates the code with
``importlib.util.find_spec`` on the top-level name (which executes nothing) and hashes its files,
so a planner can record the tracker's identity while only workers import it. ``build`` imports,
calls the factory and wraps the result in ``GenericTracker``; whatever goes wrong there is a
``TrackerError`` with the tracker's own message.
"""
import ast
import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Union

from ..errors import ConfigError, TrackerError
from ..formats.file_hash import file_sha256
from ..formats.regular_files import open_regular, too_big
from ..limits import MIB

SIMTRACK = "simtrack"
# built-in name -> the spec it stands for
BUILTINS = {SIMTRACK: "simtrack.trackers.builtin:simtrack_tracker", "mil": "simtrack.trackers.mil:MILTracker"}
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
SPEC_SYNTAX = re.compile(rf"^(?P<module>{_NAME}(\.{_NAME})*):(?P<attr>{_NAME}(\.{_NAME})*)$")
OPTION_SYNTAX = re.compile(rf"^(?P<key>{_NAME})=(?P<value>.*)$", re.S)
_WORDS = {"true": True, "false": False, "none": None, "null": None}
MAX_SOURCE_FILES = 20000          # a package larger than this is hashed by its first files only (sorted)
# The largest .py files in practice are generated tables and protobuf modules of a few MB; 64 MB is
# far above any source a tracker ships, and bounds the time a huge (sparse) file takes to hash.
MAX_SOURCE_BYTES = 64 * MIB
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TrackerSpec:
    """A tracker to build: the spec as written, where its factory lives, the options it gets.

    Small and picklable: the runner sends it to every worker, which builds its own tracker.
    """

    text: str                                         # as the user wrote it: "mil", "mypkg.mod:Factory"
    module: str
    attr: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def builtin(self) -> bool:
        return self.text in BUILTINS

    @property
    def is_simtrack(self) -> bool:
        return self.text == SIMTRACK

    @property
    def factory(self) -> str:
        return f"{self.module}:{self.attr}"

    @property
    def default_name(self) -> str:
        """The results folder name when none is given: the built-in name, else the object's name."""
        return self.text if self.builtin else self.attr.rsplit(".", 1)[-1]


def parse_spec(text: str, options: Union[None, Mapping[str, Any], Iterable[str]] = None,
               source: str = "--tracker") -> TrackerSpec:
    """The ``TrackerSpec`` of ``text`` (a built-in name or ``package.module:Object``) with
    ``options`` (a mapping, or ``key=value`` texts); a ConfigError naming ``source`` otherwise."""
    text = (text or SIMTRACK).strip()
    target = BUILTINS.get(text, text)
    match = SPEC_SYNTAX.match(target)
    if not match:
        raise ConfigError(f"{source} {text!r}: expected a built-in tracker ({', '.join(BUILTINS)}) or "
                          f"package.module:Object, the class or factory to build, with a colon before the object "
                          f"(e.g. mytrackers.ncc:NCCTracker)")
    if options is None:
        options = {}
    elif not isinstance(options, Mapping):
        options = parse_options(options)
    return TrackerSpec(text, match["module"], match["attr"], dict(options))


def parse_value(text: str) -> Any:
    """A Python literal (``ast.literal_eval``), ``true``/``false``/``none`` in any case, else the text."""
    word = text.strip().lower()
    if word in _WORDS:
        return _WORDS[word]
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def parse_options(items: Iterable[str], source: str = "--tracker-option") -> dict:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``; a key given twice or an item without ``=`` is a
    ConfigError."""
    options: dict = {}
    for item in items or ():
        match = OPTION_SYNTAX.match(str(item).strip())
        if not match:
            raise ConfigError(f"{source} {item!r}: expected key=value, the key a Python name (e.g. search=2.0)")
        if match["key"] in options:
            raise ConfigError(f"{source} {match['key']} is given twice; give each option once")
        options[match["key"]] = parse_value(match["value"])
    return options


def simtrack_settings_given(named: Iterable[tuple[str, Any]], speed: Any, spelled: Callable[[str], str]) -> list[str]:
    """SimTrack's settings given to a run of another tracker, which would ignore them: the names of the
    ``named`` ``(name, value)`` pairs that are set, then each speed option of ``speed`` (a
    ``SpeedOptions``) that differs from its default, spelled as the caller's users write it."""
    defaults = type(speed)().as_dict()
    return [name for name, value in named if value] + [spelled(name) for name, value in speed.as_dict().items()
                                                       if value != defaults[name]]


def as_json(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, other objects their repr), so that
    identities compare equal to the ones provenance records hold."""
    return json.loads(json.dumps(value, sort_keys=True, default=repr))


# ------------------------------------------------------------------------------------- building

def _failure(spec: TrackerSpec, what: str, error: BaseException) -> TrackerError:
    """The TrackerError for ``error`` raised by the tracker's code (raise it ``from error``: the
    traceback of the tracker's code stays attached as its cause)."""
    return TrackerError(f"tracker {spec.text}: {what}: {type(error).__name__}: {error}")


def load_factory(spec: TrackerSpec) -> Callable[..., Any]:
    """Import the spec's module and return its class or factory; a TrackerError otherwise."""
    try:
        module = importlib.import_module(spec.module)
    except KeyboardInterrupt:
        raise
    except BaseException as error:              # SyntaxError, ImportError, SystemExit... in the user's code
        raise _failure(spec, f"cannot import module {spec.module}", error) from error
    target: Any = module
    for part in spec.attr.split("."):
        if not hasattr(target, part):
            raise TrackerError(f"tracker {spec.text}: module {spec.module} ({getattr(module, '__file__', None)}) "
                               f"has no attribute {spec.attr!r}")
        target = getattr(target, part)
    if not callable(target):
        raise TrackerError(f"tracker {spec.text}: {spec.factory} is a {type(target).__name__}, not a class or "
                           f"factory to call")
    return target


def takes_parameter(function: Callable[..., Any], name: str) -> bool:
    """Whether ``function`` declares a parameter ``name`` (not only ``**kwargs``, which may forward
    its keywords somewhere that cannot take them)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in parameters)


def build(spec: TrackerSpec, device: Optional[str] = None, name: Optional[str] = None):
    """Import and build the spec's tracker, wrapped in a ``GenericTracker``.

    ``device`` (``"cpu"``, ``"cuda:0"``) is passed as ``device=`` when the factory declares a
    ``device`` parameter and the options do not set it. Every failure is a TrackerError.
    """
    from .generic import GenericTracker, require_methods
    factory = load_factory(spec)
    options = dict(spec.options)
    if device is not None and "device" not in options and takes_parameter(factory, "device"):
        options["device"] = device
    try:
        tracker = factory(**options)
    except KeyboardInterrupt:
        raise
    except BaseException as error:
        shown = ", ".join(f"{key}={value!r}" for key, value in options.items()) or "no options"
        raise _failure(spec, f"building {spec.factory}({shown}) failed", error) from error
    require_methods(tracker, spec.text)           # named by the spec as written, before GenericTracker's name
    return GenericTracker(tracker, name or spec.default_name)


# ------------------------------------------------------------------------------------ provenance

def _locate(spec: TrackerSpec) -> tuple[list[Path], list[Path]]:
    """The source files that identify the spec's code and the folders they are relative to.

    A module inside a package: every ``.py`` file of its top-level package (a helper module edited
    beside the factory changes the tracker too). A top-level module: its file. A built-in: its own
    file. Nothing is executed.
    """
    if spec.builtin:
        found = importlib.util.find_spec(spec.module)
        assert found is not None and found.origin
        return [Path(found.origin)], [Path(found.origin).parent]
    top = spec.module.split(".")[0]
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError) as error:
        found, reason = None, str(error)
    else:
        reason = ""
    if found is None:
        raise ConfigError(f"tracker {spec.text}: no module named {top!r} on this Python's path{reason and ': ' + reason}; "
                          f"put the folder that holds it on PYTHONPATH or pip install its package")
    if found.submodule_search_locations:
        bases = [Path(location) for location in found.submodule_search_locations]
        files = sorted(path for base in bases for path in base.rglob("*.py") if "__pycache__" not in path.parts)
        return files[:MAX_SOURCE_FILES], bases
    if not found.origin or not Path(found.origin).is_file():
        return [], []                                    # a built-in or frozen module: nothing to hash
    return [Path(found.origin)], [Path(found.origin).parent]


def source_sha256(spec: TrackerSpec) -> tuple[str, int]:
    """The sha256 over the relative paths and contents of the spec's source files, and their count."""
    files, bases = _locate(spec)
    digest = hashlib.sha256()
    for path in files:
        base = next((b for b in bases if b == path.parent or b in path.parents), path.parent)
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        _hash_source(digest, path, f"source file of tracker {spec.text}")
        digest.update(b"\0")
    return digest.hexdigest(), len(files)


def _hash_source(digest, path: Path, what: str) -> None:
    """Feed the bytes of source file ``path`` to ``digest`` in chunks (the digest equals one update
    with the whole file, as records written before hold). Only a regular file, no link to one, of at
    most MAX_SOURCE_BYTES: a FIFO named ``*.py`` would block the read, a link to /dev/zero never end."""
    why = "no source file is that large"
    with open_regular(path, what, ConfigError, follow=False) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_SOURCE_BYTES:
            raise ConfigError(too_big(f"{what} {path}", size, MAX_SOURCE_BYTES, why))
        read = 0
        while chunk := handle.read(min(_CHUNK, MAX_SOURCE_BYTES + 1 - read)):
            read += len(chunk)
            if read > MAX_SOURCE_BYTES:       # it grew past its size meanwhile
                raise ConfigError(too_big(f"{what} {path}", read, MAX_SOURCE_BYTES, why, "grew to"))
            digest.update(chunk)


def package_version(spec: TrackerSpec) -> tuple[Optional[str], Optional[str]]:
    """The installed distribution that provides the spec's top-level package, and its version."""
    if spec.builtin:
        import simtrack
        return "simtrack", simtrack.__version__
    top = spec.module.split(".")[0]
    for distribution in importlib.metadata.packages_distributions().get(top, []):
        try:
            return distribution, importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None, None


def provenance(spec: TrackerSpec) -> dict:
    """What identifies the spec's tracker, as provenance records and the manifest hold it.

    ``tracker`` (the spec as written), ``factory``, ``options``, the ``distribution`` and ``version``
    of the installed package that provides it (None for code on PYTHONPATH), ``source_sha256`` over
    its source files and their count, ``option_files`` (the sha256 of every option value that names
    an existing file, e.g. weights) and, for built-ins, the versions of the libraries they run on.
    A ConfigError when the module cannot be found at all.
    """
    digest, count = source_sha256(spec)
    distribution, version = package_version(spec)
    record = {"tracker": spec.text, "factory": spec.factory, "options": as_json(spec.options),
              "distribution": distribution, "version": version, "source_sha256": digest, "source_files": count}
    files = {key: file_sha256(Path(value).expanduser()) for key, value in sorted(spec.options.items())
             if isinstance(value, str) and value and Path(value).expanduser().is_file()}
    if files:
        record["option_files"] = files
    if spec.builtin:
        libraries = getattr(importlib.import_module(spec.module), "library_versions", None)
        if libraries is not None:
            record["libraries"] = libraries()
    return as_json(record)
