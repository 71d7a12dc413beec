"""The Textual app for article-archive; it works only through the ``archive`` library."""
