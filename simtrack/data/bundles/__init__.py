"""Annotation-only bundles people download instead of whole datasets (the LaSOT toolkit's
``annos/``, pysot-toolkit's JSON files): enough to score results, not to track."""
