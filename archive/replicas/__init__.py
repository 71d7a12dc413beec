"""Copies of the archive on other storage: replicate, check each copy, repair, restore.

A replica is one more :class:`~archive.storage.base.Storage` (a folder, SFTP or S3), named in
archive.toml as ``[replicas.NAME]`` (see :mod:`archive.config`). Nothing here knows which kind it
talks to. Credentials never pass through this package: the storages find them in the standard
places, and every message and event names a replica by its NAME and its storage ``label``.

Layout of a replica (the archive's own layout, so a replica is an archive's files minus the
working folders)::

    <replica root>/replica.json                   {"format": "article-archive-replica/1"}
    <replica root>/bags/<id>/v<N>/...             each bag byte for byte as in bags/<id>/v<N>/
    <replica root>/sources/<id>/<file>            each source file as in sources/<id>/
    <replica root>/catalog/snapshots/<UTC stamp>-<sha256[:16]>.jsonl
                                                  immutable catalogue snapshots (see snapshot.py)
    <replica root>/catalog/latest.json            {"snapshot": NAME, "sha256": HEX, "size": N, "at": UTC}

Rules every module here keeps:

* Only adds. Bags are immutable, so nothing on a replica is ever deleted; a deaccessioned record's
  bags stay. The only objects written twice are ``catalog/latest.json`` (a pointer, replaced
  atomically after the snapshot it names is confirmed) and a file a repair puts right.
* Every object goes through ``write_atomic(path, chunks, sha256=...)``: written under a temporary
  name and committed only when the bytes sent hash to the manifest's (or the catalogue's) digest.
  A file under its final name on a replica has therefore been confirmed once.
* A bag counts as a copy on replica NAME only when the local catalogue says so: the bag's entry in
  ``bags[]`` has ``replicas[NAME].replicated_at``, written in the same transaction as the
  PREMIS ``replication`` event, after every one of its files was confirmed. A killed run leaves no
  such entry, so the next run re-lists that bag's files and sends only those missing or of the
  wrong size (or, where the storage keeps one, the wrong stored SHA-256).
* Checks of a copy are PREMIS ``fixity check`` events whose ``outcome_detail`` names the replica
  (``{"replica": NAME, "storage": label, "fast": bool, "problems": [...]}``) and set
  ``replicas[NAME].last_fixity`` by the same rule as the local bag's ``last_fixity``
  (archive.fixity.state.next_fixity). A repair is a PREMIS ``recovery`` event naming the replica
  the bytes came from (``{"from_replica": NAME, "files": [...]}``), or, for ``repair --replica``,
  ``{"replica": NAME, "from": "local", "files": [...]}``.
* Good copies of a record (status.py): the local copy when every bag version is present and none
  has a standing failure, plus each replica holding every bag version confirmed with no standing
  failure there. Fewer than ``min_copies`` (archive.toml, default 2) stands out in list, show and
  the TUI.

Modules: ``remote.py`` (replica name -> storage, the layout's paths), ``push.py`` (replicate),
``snapshot.py`` (catalogue snapshot written and read back), ``check.py`` (verify --replica),
``repair.py`` (repair and repair --replica), ``restore.py`` (restore --from), ``status.py``
(copies per record).
"""
