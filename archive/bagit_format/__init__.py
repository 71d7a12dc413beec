"""The BagIt format as this archive writes and reads it, in one place.

Both sides of a bag meet here: the writer (``archive.bagging``), the validator
(``archive.fixity``), and ingest and deposit (``archive.deposit``). Nothing here touches the
catalogue or runs bagit; it is the text of the format only:

- ``paths``: payload names and the percent-encoding of manifest and fetch.txt paths;
- ``taginfo``: bag-info.txt (and bagit.txt) labels, rendered safely and parsed strictly or leniently;
- ``manifest``: manifest lines, split and rendered;
- ``payload``: where the archive's payload lives in a bag (``data/metadata/record.json``, ``data/source/``);
- ``entry``: ``BagEntry``, the record's ``bags[]`` entry, built in one place.
"""
