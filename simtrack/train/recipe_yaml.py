"""The YAML a recipe may use: PyYAML's safe subset without aliases, nested at most
``limits.MAX_RECIPE_DEPTH`` levels.

Aliases let an 800-byte file describe a billion items (``&a [*b, *b, ...]`` repeated): PyYAML keeps
them shared, but any copy (``dataclasses.asdict``) expands them all. Recipes never need them (the
shipped ones have none), so they are refused by name rather than counted. Deep nesting would reach
PyYAML's recursion limit and end in a ``RecursionError`` traceback; recipes are 4 levels deep.
"""
import yaml

from ..errors import ConfigError
from ..limits import MAX_RECIPE_DEPTH


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and nesting deeper than ``MAX_RECIPE_DEPTH``."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"the alias *{event.anchor} is not allowed in a recipe "
                                              "(write the value out)", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_RECIPE_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_RECIPE_DEPTH} levels, which "
                                                  "no recipe needs", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_recipe(text, source):
    """The document of recipe ``text``; a ConfigError naming ``source`` when it is not recipe YAML."""
    try:
        return yaml.load(text, Loader=RecipeLoader)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source} is not valid YAML for a recipe: {' '.join(str(error).split())}") from None
