"""An archive on disk, and the handle every operation takes.

```
<root>/archive.toml           settings
<root>/catalog/               the TinyDB store (records, events)
<root>/sources/<id>/          the source as received (and, for HTML, its extracted text)
<root>/bags/<id>/v<N>/        one BagIt bag per record version, never changed once written
<root>/deposits/              serialised bags with .sha256 sidecars
<root>/staging/               work in progress; anything here after a crash is removed
<root>/logs/                  tracebacks of unexpected failures (made by init, else on first need)
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archive.config import CONFIG_NAME, Settings, dump_settings, find_root, load_settings
from archive.errors import ArchiveError
from archive.store import Store
from archive.store.atomic import atomic_write

if TYPE_CHECKING:
    from archive.storage.local import LocalStorage  # imported where used: few commands need it


@dataclass
class Archive:
    """An open archive: its root, settings and catalogue."""

    root: Path
    settings: Settings
    store: Store = field(repr=False)

    @property
    def catalog_dir(self) -> Path:
        return self.root / "catalog"

    @property
    def sources_dir(self) -> Path:
        return self.root / "sources"

    @property
    def bags_dir(self) -> Path:
        return self.root / "bags"

    @property
    def deposits_dir(self) -> Path:
        return self.root / "deposits"

    @property
    def staging_dir(self) -> Path:
        return self.root / "staging"

    def source_dir(self, record_id: str) -> Path:
        return self.sources_dir / record_id

    def bag_dir(self, record_id: str, version: int) -> Path:
        return self.bags_dir / record_id / f"v{version}"

    def bags_storage(self) -> LocalStorage:
        """bags/ as a Storage: what replication copies and what a replica's layout mirrors."""
        from archive.storage.local import LocalStorage

        return LocalStorage(self.bags_dir)

    def bag_storage(self, record_id: str, version: int) -> LocalStorage:
        """One bag version's root as a Storage, for the bag check and repairs."""
        from archive.storage.local import LocalStorage

        return LocalStorage(self.bag_dir(record_id, version))

    def bag_versions(self, record_id: str) -> list[int]:
        """The bag versions lying in bags/<id>/ (folders named v<N>), recorded or not, in order.

        Listed through the storage seam: ``record_id`` comes from the catalogue or the command
        line, so a hostile one ('..', '/') is refused rather than listed.
        """
        folders = self.bags_storage().list_folder(record_id)
        return sorted(int(e.path.rsplit("/", 1)[1][1:]) for e in folders
                      if e.kind == "folder" and _is_version_name(e.path.rsplit("/", 1)[1]))


def _is_version_name(name: str) -> bool:
    return name[:1] == "v" and name[1:].isdigit()


def init_archive(
    folder: str | os.PathLike[str],
    *,
    organization: str = "",
    contact_name: str = "",
    contact_email: str = "",
    id_prefix: str = "ART",
) -> Archive:
    """Create an archive in ``folder`` (made if needed); refuse to overwrite an existing one."""
    root = Path(folder).expanduser().resolve()
    if (root / CONFIG_NAME).exists():
        raise ArchiveError(f"{root} is already an archive ({CONFIG_NAME} exists)")
    if root.exists() and not root.is_dir():
        raise ArchiveError(f"{root} exists and is not a folder")
    settings = Settings(
        organization=organization,
        contact_name=contact_name,
        contact_email=contact_email,
        id_prefix=id_prefix,
    )
    settings.validate()
    try:
        root.mkdir(parents=True, exist_ok=True)
        for sub in ("sources", "bags", "deposits", "staging", "logs"):
            (root / sub).mkdir(exist_ok=True)
        store = Store.create(root / "catalog")
        # archive.toml last: until it exists, the folder is not taken for an archive.
        atomic_write(root / CONFIG_NAME, dump_settings(settings).encode("utf-8"))
    except OSError as exc:
        raise ArchiveError(f"cannot create an archive in {root}: {exc.strerror or exc}") from None
    return Archive(root=root, settings=settings, store=store)


def open_archive(root: str | os.PathLike[str] | None = None) -> Archive:
    """Open the archive at ``root``, $ARCHIVE_ROOT, or the nearest parent folder holding one."""
    found = find_root(root)
    settings = load_settings(found)
    store = Store.open(found / "catalog")
    return Archive(root=found, settings=settings, store=store)
