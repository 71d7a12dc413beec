"""A record that names its publication but not its kind is a newspaper article (issue 12), unless
the archivist or the source states the kind; driven through ``archive import`` and ``add``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import stored_record

HTML = Path(__file__).parent / "fixtures" / "html"
PLANET = "The Daily Planet"
TEXT = "The harbour wall gave way overnight, the council said on {day}.\n"


def page(title: str, head: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{head}"
            f"</head><body><article><p>{TEXT.format(day=title)}</p></article></body></html>\n")


SOURCES: dict[str, tuple[str, dict | None]] = {
    # file: (content, sidecar fields)
    "plain-in-a-paper.txt": (TEXT.format(day="Monday"), {"title": "Plain", "container_title": PLANET}),
    "typed-article.txt": (TEXT.format(day="Tuesday"),
                          {"title": "Typed", "container_title": PLANET, "type": "article"}),
    "plain-alone.txt": (TEXT.format(day="Wednesday"), None),
    "scholarly.html": (page("Scholarly", '<script type="application/ld+json">{"@type": "ScholarlyArticle",'
                            ' "headline": "Scholarly", "isPartOf": {"@type": "Periodical",'
                            ' "name": "Harbour Studies"}}</script>'), None),
    "blog.html": (page("Blog", '<meta property="og:site_name" content="Harbour Notes">'
                       '<script type="application/ld+json">{"@type": "BlogPosting", "headline": "Blog"}'
                       "</script>"), None),
    "og-blog.html": (page("Og blog", '<meta property="og:type" content="blog">'
                          '<meta property="og:site_name" content="The Daily Planet">'), None),
    "website.html": (page("Website", '<meta property="og:type" content="website">'
                          '<meta property="og:site_name" content="Harbour Council">'), None),
    "stated-article.md": (f"---\ntitle: Stated\npublication: {PLANET}\ntype: article\n---\n"
                          + TEXT.format(day="Thursday"), None),
    "unstated.md": (f"---\ntitle: Unstated\npublication: {PLANET}\n---\n" + TEXT.format(day="Friday"), None),
}
EXPECTED = {
    "plain-in-a-paper.txt": "article-newspaper",
    "typed-article.txt": "article",
    "plain-alone.txt": "article",
    "scholarly.html": "article",
    "blog.html": "post-weblog",
    "og-blog.html": "post-weblog",  # og:type "blog" states the kind, even on a paper's site
    "website.html": "webpage",
    "stated-article.md": "article",
    "unstated.md": "article-newspaper",
    "opengraph.html": "article-newspaper",  # og:type "article" names no kind; og:site_name a paper
}


def imported(cli, root: Path, folder: Path) -> dict[str, dict]:
    done = cli("--root", root, "import", folder)
    assert done.code == 0, done
    listed = cli("--root", root, "list", "--json")
    records = {}
    for row in json.loads(listed.out):
        record = stored_record(root, row["id"])
        records[record["source"]["filename"]] = record
    return records


def test_a_publication_without_a_stated_type_is_a_newspaper_article(archive_root, cli, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, (content, sidecar) in SOURCES.items():
        (folder / name).write_text(content, encoding="utf-8")
        if sidecar:
            (folder / name).with_suffix(".json").write_text(json.dumps(sidecar), encoding="utf-8")
    shutil.copyfile(HTML / "opengraph.html", folder / "opengraph.html")
    records = imported(cli, archive_root, folder)
    assert {name: r["type"] for name, r in records.items()} == EXPECTED
    # an inferred type is marked extracted, so the archivist knows to check it; a stated one is not
    assert "type" in records["plain-in-a-paper.txt"]["provenance"]["extracted_fields"]
    assert "type" not in records["typed-article.txt"]["provenance"].get("extracted_fields", [])


def test_add_with_a_publication_and_with_a_typed_kind(archive_root, cli, tmp_path):
    for name, extra, kind in [("a.txt", (), "article-newspaper"),
                              ("b.txt", ("--type", "article-magazine"), "article-magazine")]:
        path = tmp_path / name
        path.write_text(TEXT.format(day=name), encoding="utf-8")
        added = cli("--root", archive_root, "add", path, "--title", name, "--publication", PLANET, *extra)
        assert added.code == 0, added
        record = stored_record(archive_root, added.out.strip())
        assert record["type"] == kind
