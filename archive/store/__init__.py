"""The catalogue: records in sharded TinyDB files, written atomically under a lock, and their
events in an append-only log per shard that the shard write commits (archive/store/history.py).

See README "How the catalogue is stored" for the design and bench/bench_store.py for its figures.
"""

from archive.store.catalog_store import Store, Transaction

__all__ = ["Store", "Transaction"]
