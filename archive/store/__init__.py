"""The catalogue: records and their events in sharded TinyDB files, written atomically under a lock.

See README "How the catalogue is stored" for the design and bench/bench_store.py for its figures.
"""

from archive.store.catalog_store import Store, Transaction

__all__ = ["Store", "Transaction"]
