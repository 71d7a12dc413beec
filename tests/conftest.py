"""Shared fixtures: real archives on disk, and the CLI driven as a subprocess."""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import pkgutil
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cli_runner
import helpers
import pytest
from fixtures_servers import aws_env, moto_private, moto_server, sshd_private, sshd_server  # noqa: F401
from helpers import RECORDS, SEED, Result, run_cli
from replica_targets import replica_target  # noqa: F401

from archive.layout import open_archive

CACHE_ENV = "ARCHIVE_CACHE_DIR"
_own_cache: list[tuple[str, str | None]] = []


def pytest_configure(config: pytest.Config) -> None:
    """Each pytest process (each xdist worker) gets a cache folder of its own for the verdicts and
    formatted citations the archive remembers (``$ARCHIVE_CACHE_DIR``), removed at its end: with
    the user's ~/.cache/article-archive, shared by every run and every checkout, a run found the
    citations and verdicts of the runs before it, so a second run did less work than the first
    and a test could pass on a cache an earlier run filled. One folder per worker, not per test:
    the worker's CLI runs share it as a user's successive commands do (a cold cache per CLI run
    would load langcodes in every ``add``). Tests of the cache itself point it elsewhere."""
    config.addinivalue_line("markers", "real_exec: every CLI run of the test execs the console script "
                            "(tests/cli_runner.py)")
    folder = tempfile.mkdtemp(prefix="archive-test-cache-")
    _own_cache.append((folder, os.environ.get(CACHE_ENV)))
    os.environ[CACHE_ENV] = folder
    # Removed at exit, not at unconfigure: the verdict cache writes what it learnt at exit too
    # (schema._Remembered), which would make the folder again; atexit runs this one last.
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    _import_every_local_module()
    _collect_less()


def _collect_less() -> None:
    """Keep the worker's garbage collector off what lives for the whole run. A worker holds every
    module of archive/, tui/, textual, trafilatura, moto... and each full collection walked all of
    it again: measured over the TUI and citation tests (-n 3), 20 of 105 CPU-s went to the
    collector. ``gc.freeze`` moves what exists now (imports, the pytest session) out of its reach,
    and a higher first threshold makes the young collections, whose survivors age towards the
    costly full ones, less frequent; what a test leaves behind is still collected, and no test
    depends on when (tests/cli_zygote.py freezes its warm heap likewise)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def _import_every_local_module() -> None:
    """Import every module of archive/ and tui/ before any test runs. Hypothesis draws some
    examples from the constants of the local modules imported so far, so even derandomised (CI's
    profile) a test's examples depended on which tests ran before it in its xdist worker: CI could
    meet an example no local run had (a ``file://[`` replica URL did so). With every module
    imported first, each test sees the same constants in every order. ``__main__`` modules run the
    program, so they are left out."""
    import archive
    import tui

    for package in (archive, tui):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith(".__main__"):
                importlib.import_module(module.name)


def pytest_unconfigure(config: pytest.Config) -> None:
    cli_runner.close()
    while _own_cache:
        _folder, before = _own_cache.pop()
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A test marked ``real_exec`` runs every CLI run by exec (its fixtures' set-up runs need not)."""
    cli_runner.FORCE_EXEC[0] = item.get_closest_marker("real_exec") is not None
    try:
        yield
    finally:
        cli_runner.FORCE_EXEC[0] = False


@pytest.fixture
def cli():
    """``cli(*args, cwd=...)`` returns a Result with code, out and err.

    A run that fails on an "unexpected" exception (exit 70) fails the test unless
    ``expect_unexpected=True`` is passed.
    """

    def call(*args, expect_unexpected: bool = False, **kwargs) -> Result:
        return Result(run_cli(*args, **kwargs), expect_unexpected=expect_unexpected)

    return call


INIT_ARGS = ("--org", "Test Archive", "--contact-name", "Ada Archivist", "--contact-email", "ada@example.org")


def _ok(result: Result) -> None:
    assert result.code == 0, result


def _three_pieces(root: Path, cli) -> None:
    sources = root.parent / "src"
    sources.mkdir()
    for i in range(3):
        (sources / f"piece-{i}.txt").write_text(f"Piece number {i}.\nIt has some words.\n")
    _ok(cli("--root", root, "import", sources))
    _ok(cli("--root", root, "bag", "--all"))


STAGES = {  # stage: (the stage it starts from, the CLI steps the fixture used to run in every test)
    "empty": (None, lambda root, cli: _ok(cli("init", root, *INIT_ARGS))),
    "seeded": ("empty", lambda root, cli: _ok(cli("--root", root, "import", RECORDS))),
    "bagged": ("seeded", lambda root, cli: _ok(cli("--root", root, "bag", "--all"))),
    "three_bagged": ("empty", _three_pieces),
}


def _environment_key() -> frozenset:
    """What a CLI run sees of the environment; a test that changed it (HOME, SOURCE_DATE_EPOCH...)
    before asking for an archive gets one built under its own environment, never a stale one.
    Left out: the AWS variables, which only boto3 reads (init, import and bag never reach S3), and
    which ``aws_env`` sets to paths in the test's own tmp_path, so every S3 test that asked for
    ``aws_env`` before its archive rebuilt the whole chain through the CLI."""
    return frozenset((k, v) for k, v in os.environ.items()
                     if k != "PYTEST_CURRENT_TEST" and not k.startswith("AWS_"))


class ArchiveTemplates:
    """The fixtures' archives, each built once per worker through the CLI and copied per test.

    Building the same seeded or bagged archive through one to three CLI subprocesses (half a second
    of start-up each) in every one of some 330 tests cost minutes of the suite; a copy of the tree
    is the same bytes (no file of an archive holds its own path) for a few milliseconds. Built
    lazily, keyed by stage and environment.
    """

    def __init__(self, base: Path) -> None:
        self.base = base
        self.built: dict[tuple[str, frozenset], Path] = {}
        self.copies: dict[Path, tuple[str, dict[str, bytes | None]]] = {}
        """Each copy handed out: its stage and its files then, to tell whether a test changed it."""

    def get(self, stage: str) -> Path:
        key = (stage, _environment_key())
        if key not in self.built:
            before, build = STAGES[stage]
            root = self.base / f"{stage}-{len(self.built)}" / "arc"
            if before is not None:
                shutil.copytree(self.get(before), root, symlinks=True)
            else:
                root.parent.mkdir(parents=True)
            build(root, lambda *args: Result(run_cli(*args)))
            self.built[key] = root
        return self.built[key]

    def copy(self, stage: str, target: Path) -> Path:
        """A copy of the stage's archive, its catalogue index brought up to date as the CLI run
        that wrote the catalogue would have left it: the index is stamped with each shard's inode,
        so a copied index is stale, and the first command would rewrite it (a write that a test
        of a read-only command, or of a read-only catalogue, would rightly count against it)."""
        shutil.copytree(self.get(stage), target, symlinks=True)
        if any((target / "catalog" / "records").glob("*.json")):
            open_archive(target)  # opening rebuilds a stale index shard (and changes nothing else)
        self.copies[target] = (stage, _tree(target))
        return target

    def made(self, stage: str, build: Callable[[Path, Callable], None], target: Path) -> Path:
        """A copy at ``target`` of the archive ``build(root, cli)`` makes from nothing (its own
        ``archive init`` included), built once per worker: for modules whose archives are not
        ``archive_root``'s (another organisation, a record already held). ``stage`` names it."""
        STAGES.setdefault(stage, (None, build))
        return self.copy(stage, target)

    def custom(self, root: Path, stage: str, cli, build: Callable[[Path, Callable], None],
               after: str = "empty") -> Path:
        """``root``, an untouched copy of stage ``after`` (``archive_root``'s by default), brought to
        a stage a test module defines: ``build(root, cli)`` runs the CLI steps once per worker,
        and each test gets a copy."""
        STAGES.setdefault(stage, (after, build))
        return self.advance(root, stage, cli)

    def advance(self, root: Path, stage: str, cli) -> Path:
        """``root`` brought to ``stage``: swapped for the template's copy while it is still the
        untouched copy of the stage before (the usual case), else by running the CLI steps on it,
        so a fixture that changed the archive in between keeps its change."""
        before, build = STAGES[stage]
        if self.copies.get(root) == (before, _tree(root)):
            shutil.rmtree(root)
            return self.copy(stage, root)
        build(root, cli)
        return root


def _tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in root.rglob("*")}


@pytest.fixture(scope="session", autouse=True)
def archive_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArchiveTemplates]:
    """The worker's templates, also reachable as ``helpers.made_archive`` for module helpers that
    make an archive without asking for a fixture (``fresh(cli, tmp_path)``)."""
    templates = ArchiveTemplates(tmp_path_factory.mktemp("templates"))
    helpers.TEMPLATES = templates
    yield templates
    helpers.TEMPLATES = None


@pytest.fixture(autouse=True)
def moto_buckets_dropped() -> Iterator[None]:
    """The S3 buckets a test made on this worker's moto server are emptied and dropped when it ends.

    moto keeps its buckets in the worker's own process (the server is a thread of it), and keeps
    every object it ever stored (its instance tracking too), each in a buffer of up to 5 MB, for
    the rest of the run, though no later test can reach them (each test makes its own buckets).
    Measured on test_replica_check's S3 cases: 9 buckets and 125 objects (110 kB) left behind
    before, none after; the workers' 1.3-1.5 GB peaks are mostly something else. Buckets made
    before the test started (by a wider-scoped fixture) are left alone."""
    before = _moto_buckets()
    yield
    after = _moto_buckets()
    if after:
        _drop_buckets({key: bucket for key, bucket in after.items() if key not in (before or {})})


def _moto_buckets() -> dict[tuple[str, str, str], object] | None:
    """Every bucket of moto's in-process S3 backends, by account, region and name; None when moto
    was never imported in this process (no server ran here: nothing to drop, nothing to import)."""
    import sys

    models = sys.modules.get("moto.s3.models")
    if models is None:
        return None
    return {(account, region, name): bucket
            for account, regions in list(models.s3_backends.items())
            for region, backend in list(regions.items())
            for name, bucket in list(backend.buckets.items())}


def _drop_buckets(buckets: dict[tuple[str, str, str], object]) -> None:
    """As moto's own reset does for every bucket: close each stored object's buffer (the ones a
    later write replaced too, which moto still tracks), forget the bucket, and let go of the closed
    objects moto's instance tracking would otherwise keep for the rest of the run."""
    import sys

    if not buckets:
        return
    models = sys.modules["moto.s3.models"]
    names = {name for _account, _region, name in buckets}
    dropped_parts = []
    for (account, region, name), bucket in buckets.items():
        dropped_parts.extend(bucket.multiparts.values())
        models.s3_backends[account][region].buckets.pop(name, None)
        models.s3_backends.bucket_accounts.pop(name, None)
    for part in dropped_parts:
        part.dispose()
    for key in models.FakeKey.instances_tracked:
        if getattr(key, "bucket_name", None) in names:
            key.dispose()
    models.FakeKey.instances_tracked[:] = [key for key in models.FakeKey.instances_tracked
                                           if not key.disposed]
    gone = {id(part) for part in dropped_parts}
    models.FakeMultipart.instances_tracked[:] = [part for part in models.FakeMultipart.instances_tracked
                                                 if id(part) not in gone]


@pytest.fixture
def archive_root(tmp_path: Path, archive_templates: ArchiveTemplates) -> Path:
    """An empty archive made by ``archive init`` (a copy of one made once per worker)."""
    return archive_templates.copy("empty", tmp_path / "arc")


@pytest.fixture
def seeded_root(archive_root: Path, archive_templates: ArchiveTemplates, cli) -> Path:
    """An archive holding the seed article with its sidecar metadata (ART-….-000001), imported by
    ``archive import``."""
    return archive_templates.advance(archive_root, "seeded", cli)


@pytest.fixture
def bagged_root(seeded_root: Path, archive_templates: ArchiveTemplates, cli) -> Path:
    """The seeded archive with its record bagged (v1) by ``archive bag --all``."""
    return archive_templates.advance(seeded_root, "bagged", cli)


@pytest.fixture
def three_bagged(archive_root: Path, archive_templates: ArchiveTemplates, cli) -> Path:
    """An archive of three short texts (piece-0..2.txt), imported and bagged (v1)."""
    return archive_templates.advance(archive_root, "three_bagged", cli)


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "in" / SEED.name
    target.parent.mkdir()
    shutil.copyfile(SEED, target)
    return target


# Hypothesis: CI runs a fixed, derandomised set of examples, so a failure replays exactly;
# HYPOTHESIS_PROFILE=nightly runs many more (see bench/README.md).
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", derandomize=True, max_examples=200, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "nightly", max_examples=5000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ----- where the CPU goes: ARCHIVE_TEST_CPU_LOG=<file> -------------------------------------------
CPU_LOG = "ARCHIVE_TEST_CPU_LOG"
"""Set to a file's path to have each test append a line: test, CPU-seconds of the pytest process,
CPU-seconds of the processes it started and waited for (CLI runs), seconds, worker. On a busy
machine wall time says little, and the suite's budget is CPU: 2 cores for 5 minutes."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    if CPU_LOG not in os.environ:
        yield
        return
    own, children, started = _own_cpu(), helpers.children_cpu(), time.monotonic()
    yield
    with open(os.environ[CPU_LOG], "a", encoding="utf-8") as log:
        log.write(f"{item.nodeid}\t{_own_cpu() - own:.3f}\t{helpers.children_cpu() - children:.3f}\t"
                  f"{time.monotonic() - started:.3f}\t{os.environ.get('PYTEST_XDIST_WORKER', '-')}\n")


def _own_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


# ----- slowest first: so that under xdist no long test starts last and runs alone -----------------
DURATIONS_KEY = "article-archive/durations"
_durations: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Each test's setup + call + teardown time (on the xdist controller, from every worker)."""
    _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or getattr(config, "cache", None) is None or not _durations:
        return
    known = config.cache.get(DURATIONS_KEY, {})
    for nodeid, seconds in _durations.items():  # averaged with the last time: one loaded run is noise
        known[nodeid] = round((known[nodeid] + seconds) / 2 if nodeid in known else seconds, 3)
    config.cache.set(DURATIONS_KEY, known)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tests slowest first, by the times the last runs recorded in .pytest_cache; tests
    never timed go first (they may be slow), in collection order. A module with a module-scoped
    fixture moves as one block (at its slowest test's place), so that fixture is still built once.
    Under xdist the order is then dealt into one share per worker (``_dealt``). Every xdist worker
    reads the same cache, so all collect the same order, as xdist requires."""
    cache = getattr(config, "cache", None)
    if cache is None:
        return
    known: dict[str, float] = cache.get(DURATIONS_KEY, {})
    if not known:
        return

    def group(item: pytest.Item) -> str:
        defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        wide = any(d[-1].scope in ("module", "class", "package") for d in defs.values() if d)
        module = getattr(item, "module", None)
        return module.__name__ if wide and module is not None else item.nodeid

    groups = {id(item): group(item) for item in items}
    cost: dict[str, float] = {}
    first: dict[str, int] = {}
    for n, item in enumerate(items):
        name = groups[id(item)]
        cost[name] = max(cost.get(name, 0.0), known.get(item.nodeid, float("inf")))
        first.setdefault(name, n)
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (-cost[groups[id(item)]], first[groups[id(item)]], order[id(item)]))
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers > 1:
        items[:] = _dealt(items, workers, known)


def _dealt(items: list[pytest.Item], workers: int, known: dict[str, float]) -> list[pytest.Item]:
    """``items`` (slowest first) dealt into ``workers`` consecutive shares of equal time, for
    xdist's ``worksteal`` scheduler (dev.py uses it): that hands the workers consecutive shares of
    the list, as many tests each, and a worker that runs out takes the tail of the longest queue.
    Not dealt, the first worker got the slowest third of the run (and under the default ``load``
    scheduler the slowest 150 tests) and ran it alone at the end while the other cores stood idle:
    the warm run was 100 s slower than a fresh clone's, in file order.

    Whole modules are dealt (the longest first, each to the share with the least time so far; one
    is split only where a share is full), not single tests: dealt one by one, every worker ran part
    of every module and paid its warm-up (a citeproc-js engine per style, a module fixture, a
    template) three times, 4 -> 18 CPU-s for test_citation_golden alone. In each share the modules
    run in the order of their slowest test, so no long test starts last."""

    def seconds(part: list[pytest.Item]) -> float:
        return sum(min(known.get(item.nodeid, 60.0), 60.0) for item in part)

    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    room, left = [], len(items)
    for n in range(workers):  # the share sizes worksteal's first hand-out makes
        room.append(left // (workers - n))
        left -= room[-1]
    shares: list[list[list[pytest.Item]]] = [[] for _ in range(workers)]
    spent = [0.0] * workers
    for rest in sorted(modules.values(), key=seconds, reverse=True):
        while rest:
            n = min((n for n in range(workers) if room[n] > 0), key=lambda n: (spent[n], n))
            part, rest = rest[: room[n]], rest[room[n]:]
            shares[n].append(part)
            room[n] -= len(part)
            spent[n] += seconds(part)
    dealt = []
    for share in shares:
        share.sort(key=lambda part: -max(min(known.get(i.nodeid, 60.0), 60.0) for i in part))
        dealt.extend(item for part in share for item in part)
    assert len(dealt) == len(items) and {id(i) for i in dealt} == {id(i) for i in items}
    return dealt
