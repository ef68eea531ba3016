"""One reader per published dataset layout: ``names(root, split)`` lists sequences cheaply,
``load(root, split, name, dataset, frames_required)`` parses one into a ``Sequence``."""
