"""article-archive: catalogue articles, preserve them as BagIt bags, verify and deposit them.

The public API lives in the modules named for what they do (``archive.catalog``,
``archive.bagging``, ``archive.fixity``, ...); the CLI and the TUI call only those.
"""

__version__ = "0.1.0"
