"""``python -m archive``: the same command line as the ``archive`` script."""

from archive.cli import entry

if __name__ == "__main__":
    entry()
