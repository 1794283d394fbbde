"""Provenance: every archived version of an article can be traced to the HTTP response it came
from, kept as a WARC record (``crawl.provenance: warc``, the default) and given back by ``raw``."""

from __future__ import annotations

import errno
import gzip
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from archive.index import ArchiveIndex
from archive.models import ResponseRecord
from archive.provenance import RawResponse, RecordProblem, WarcFile, read_record
from archive.store import StoreError
from crawler.config import ConfigError, load_config
from crawler.localsite import LocalSite
from tests.conftest import html_page, newsarchive, write_config
from tests.test_crawl import article, crawl, rss

REVISIT = {"every_run_for": "1d", "at": [], "confirm_deleted_after": "1s"}
PLAIN = "/n/2025/03/01/plain-story.html"
GBK = "/n/2025/03/01/gbk-story.html"
MOVED = "/n/2025/03/01/moved-story.html"
GBK_PAGE = (
    html_page(
        "港口计划获批",
        "".join(
            f"<p>地区议会周二开会讨论拖延已久的港口计划，这一计划已争论了十多年，第{i}段。</p>"
            for i in range(8)
        ),
        lang="zh",
    )
    .replace('charset="utf-8"', 'charset="gbk"')
    .replace("©", "(c)")
)


def responses(database_url: str) -> list[ResponseRecord]:
    index = ArchiveIndex(database_url)
    try:
        with index.session() as session:
            return list(session.scalars(select(ResponseRecord).order_by(ResponseRecord.id)))
    finally:
        index.close()


def warc_files(folder: Path) -> list[Path]:
    return sorted((folder / "news" / ".warc").rglob("*.warc.gz"))


def raw(folder: Path, *args: str) -> bytes:
    out = folder / "raw.out"
    result = newsarchive("raw", *args, "-o", str(out), cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    return out.read_bytes()


def serve(site: LocalSite, paths: dict[str, tuple[bytes, str]], also: tuple[str, ...] = ()) -> None:
    """The pages, and a feed listing them (and the paths ``also``)."""
    for path, (body, content_type) in paths.items():
        site.add(path, body, content_type=content_type)
    site.add("/rss.xml", rss(site, [*paths, *also]), content_type="application/rss+xml")


def test_a_crawl_keeps_each_article_response_as_sent(
    site: LocalSite, tmp_path: Path, database_url: str
) -> None:
    plain = article("The plain story").encode("utf-8")
    gbk = GBK_PAGE.encode("gbk")
    moved = article("The moved story").encode("utf-8")
    site.add(MOVED, moved)
    site.add_redirect("/n/2025/03/01/old-moved-story.html", MOVED)  # the feed lists the old URL
    serve(site, {PLAIN: (plain, "text/html; charset=utf-8"), GBK: (gbk, "text/html")},
          also=("/n/2025/03/01/old-moved-story.html",))  # fmt: skip
    write_config(tmp_path, [{"name": "t", "feeds": [site.url("/rss.xml")]}], database=database_url)
    crawl(tmp_path)

    [warc] = warc_files(tmp_path)
    assert warc.relative_to(tmp_path / "news").parts[:2] == (".warc", "t")
    with warc.open("rb") as handle:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), dict(r.rec_headers.headers),
             r.raw_stream.read())
            for r in ArchiveIterator(handle)
        ]  # fmt: skip
    assert records[0][0] == "warcinfo"
    kinds = [kind for kind, *_ in records[1:]]
    assert kinds == ["response", "request"] * 3
    # only article pages as finally answered: not the feed, robots.txt or the redirect
    assert {uri for _, uri, _, _ in records[1:]} == {site.url(PLAIN), site.url(GBK), site.url(MOVED)}
    for (_, uri, response, _), (_, req_uri, request, _) in zip(records[1::2], records[2::2], strict=True):
        assert uri == req_uri and request["WARC-Concurrent-To"] == response["WARC-Record-ID"]
        assert response["WARC-Payload-Digest"].startswith("sha1:") and response["WARC-Date"]

    rows = {r.url: r for r in responses(database_url)}
    assert set(rows) == {site.url(PLAIN), site.url(GBK), site.url(MOVED)}
    for path, page in ((PLAIN, plain), (GBK, gbk), (MOVED, moved)):
        row = rows[site.url(path)]
        assert row.version == 1 and row.status == 200
        found = read_record(tmp_path / "news", row.warc_file, row.warc_offset, row.warc_length)
        assert found.url == site.url(path)
        # LocalSite compressed the page (Scrapy asked for gzip): the record holds the bytes on the wire
        assert found.header("Content-Encoding") == "gzip"
        assert found.wire_body == gzip.compress(page, mtime=0)
        assert found.body() == page
        assert raw(tmp_path, str(row.article_id)) == page  # the page exactly as served: GBK stays GBK
        assert raw(tmp_path, site.url(path), "--wire") == gzip.compress(page, mtime=0)
    headers = raw(tmp_path, site.url(PLAIN), "--headers").decode("latin-1")
    assert headers.startswith("HTTP/1.1 200 OK\r\n") and "Content-Encoding: gzip" in headers

    shown = newsarchive("show", site.url(PLAIN), "--json", cwd=tmp_path)
    assert shown.returncode == 0 and '"warc_file": ".warc/t/' in shown.stdout
    verify = newsarchive("verify", cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_revision_gets_its_own_record(site: LocalSite, tmp_path: Path, database_url: str) -> None:
    old = article("The harbour story").encode()
    serve(site, {PLAIN: (old, "text/html; charset=utf-8"), GBK: (GBK_PAGE.encode("gbk"), "text/html")})
    write_config(tmp_path, [{"name": "t", "feeds": [site.url("/rss.xml")]}], database=database_url,
                 crawl={"revisit": REVISIT})  # fmt: skip
    crawl(tmp_path)
    new = article("The harbour story, corrected").encode()
    site.add(PLAIN, new)
    # new bytes, same reading text: an unchanged revisit, which keeps no response
    site.add(
        GBK,
        GBK_PAGE.replace("</head>", f"<!-- {time.time()} --></head>").encode("gbk"),
        content_type="text/html",
    )
    crawl(tmp_path)

    rows = responses(database_url)
    versions = sorted((r.url, r.version) for r in rows)
    assert versions == [(site.url(GBK), 1), (site.url(PLAIN), 1), (site.url(PLAIN), 2)]
    assert len(warc_files(tmp_path)) == 2  # one per run
    history = newsarchive("history", site.url(PLAIN), cwd=tmp_path)
    assert history.returncode == 0 and len(history.stdout.splitlines()) == 2
    assert raw(tmp_path, site.url(PLAIN), "--version", "1") == old
    assert raw(tmp_path, site.url(PLAIN), "--version", "2") == new
    assert raw(tmp_path, site.url(PLAIN)) == new  # the current version
    too_far = newsarchive("raw", site.url(PLAIN), "--version", "3", cwd=tmp_path)
    assert too_far.returncode == 1 and "has 2 version(s), not 3" in too_far.stderr
    verify = newsarchive("verify", cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_provenance_none_keeps_no_warc(site: LocalSite, tmp_path: Path) -> None:
    serve(site, {PLAIN: (article("The plain story").encode(), "text/html; charset=utf-8")})
    write_config(tmp_path, [{"name": "t", "feeds": [site.url("/rss.xml")]}], crawl={"provenance": "none"})
    crawl(tmp_path)
    assert not (tmp_path / "news" / ".warc").exists()
    assert responses(f"sqlite:///{tmp_path / 'news' / 'index.sqlite'}") == []
    result = newsarchive("raw", site.url(PLAIN), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: article 1 version 1: no archived response (versions with one: none); "
        "responses are kept when crawl.provenance is warc"
    ]


def test_a_torn_warc_keeps_its_complete_records(site: LocalSite, tmp_path: Path) -> None:
    """A crawl killed while writing a WARC leaves a torn last gzip member: the records before it
    stay readable, and verify names only the broken one."""
    paths = [f"/n/2025/03/01/story-{n}-of-three.html" for n in range(3)]
    serve(site, {p: (article(f"Story {n} of three").encode(), "text/html; charset=utf-8")
                 for n, p in enumerate(paths)})  # fmt: skip
    write_config(tmp_path, [{"name": "t", "feeds": [site.url("/rss.xml")]}], crawl={"concurrent_requests": 1})
    crawl(tmp_path)
    [warc] = warc_files(tmp_path)
    rows = sorted(responses(f"sqlite:///{tmp_path / 'news' / 'index.sqlite'}"), key=lambda r: r.warc_offset)
    last = rows[-1]
    data = warc.read_bytes()
    warc.write_bytes(data[: last.warc_offset + last.warc_length // 2])  # cut inside the last response

    for row in rows[:-1]:
        found = read_record(
            tmp_path / "news", row.warc_file, row.warc_offset, row.warc_length, check_digests=True
        )
        assert found.url == row.url and found.body().startswith(b"<!DOCTYPE html>")
        assert raw(tmp_path, str(row.article_id)).startswith(b"<!DOCTYPE html>")
    with pytest.raises(RecordProblem, match="past the end of the WARC file"):
        read_record(tmp_path / "news", last.warc_file, last.warc_offset, last.warc_length)
    with pytest.raises(RecordProblem, match="incomplete WARC record"):
        read_record(tmp_path / "news", last.warc_file, last.warc_offset)
    with warc.open("rb") as handle:  # read from its start: the complete records, then the torn one
        seen = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(handle)]
    complete = [(kind, r.url) for r in rows[:-1] for kind in ("response", "request")]
    assert seen[1 : 1 + len(complete)] == complete

    verify = newsarchive("verify", cwd=tmp_path)
    assert verify.returncode == 1
    problems = [line for line in verify.stdout.splitlines() if line.startswith("archived response:")]
    assert len(problems) == 1 and f"article {last.article_id} version 1:" in problems[0]
    assert "file without row" not in verify.stdout and "row without file" not in verify.stdout

    site.add(paths[0].replace("story-0", "story-3"), article("Story 3 of three").encode())
    site.add("/rss.xml", rss(site, [*paths, paths[0].replace("story-0", "story-3")]),
             content_type="application/rss+xml")  # fmt: skip
    crawl(tmp_path)  # the next run writes its own file, after no torn member
    newest = warc_files(tmp_path)[-1]
    assert newest != warc
    with newest.open("rb") as handle:
        assert [r.rec_type for r in ArchiveIterator(handle)] == ["warcinfo", "response", "request"]


def test_a_wrong_provenance_value_is_one_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, [{"name": "t", "feeds": ["https://example.org/rss"]}],
                        crawl={"provenance": "html"})  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: crawl.provenance: must be 'warc' or 'none', got 'html'"
    assert load_config(write_config(tmp_path, [{"name": "t", "feeds": ["https://example.org/rss"]}])
                       ).crawl.provenance == "warc"  # fmt: skip


def sample(n: int) -> RawResponse:
    return RawResponse(
        url=f"https://example.org/news/{n}.html", status=200, protocol="HTTP/1.1",
        headers=(("Content-Type", "text/html; charset=utf-8"),), body=f"<html><p>Story {n}</p></html>".encode(),
        method="GET", request_headers=(("Host", "example.org"),), fetched=datetime.now(UTC),
    )  # fmt: skip


def test_a_write_that_fails_midway_is_cut_off(tmp_path: Path) -> None:
    """A full disk in the middle of a record: the error names the file, the partial record is cut
    off, and the records before and after it read as one clean file."""
    warc = WarcFile(tmp_path, "t", 7)
    first = warc.append(sample(1))
    real = warc._out

    class FullDisk:
        def write(self, data: bytes) -> None:
            real.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    warc._out = FullDisk()  # type: ignore[assignment]
    with pytest.raises(StoreError, match=r"cannot write .*\.warc\.gz: no space left on device"):
        warc.append(sample(2))
    warc._out = real
    third = warc.append(sample(3))
    warc.close()
    assert read_record(tmp_path, third.file, third.offset, third.length, check_digests=True).url.endswith(
        "/3.html"
    )
    with (tmp_path / first.file).open("rb") as handle:
        uris = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(handle)]
    assert uris == [None, *[f"https://example.org/news/{n}.html" for n in (1, 1, 3, 3)]]
