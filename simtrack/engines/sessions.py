"""What the export's check and the engines' runners share about loading a graph: ONNX Runtime sessions
on the CPU provider (the template step everywhere, the whole check of an export) and one-line
messages for graphs a runtime cannot load."""
from ..errors import CheckpointError


def first_line(error):
    """The first line of a runtime's (often multi-line) error, at most 300 characters."""
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


def ort_session(model, where, options=None, providers=("CPUExecutionProvider",)):
    """An ONNX Runtime session of ``model`` (a path as text, or ONNX bytes: the template step); by
    default on the CPU provider with errors only in the log. A graph ONNX Runtime cannot load is a
    ``CheckpointError`` naming ``where``."""
    import onnxruntime
    if options is None:
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3                                  # errors only
    try:
        return onnxruntime.InferenceSession(model, options, providers=list(providers))
    except Exception as error:   # onnxruntime raises its own types for graphs it cannot load
        raise CheckpointError(f"onnxruntime cannot load {where}: {first_line(error)}") from None


def template_where(exported):
    """How messages name the template step of ``exported`` (it travels inside the file)."""
    return f"the template step of {exported.path}"
