"""The Markdown store: deterministic paths that never leave the archive folder, and atomic writes
that fail with a StoreError saying why, leaving the old file as it was."""

from __future__ import annotations

import errno
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.article import Article
from archive.store import MarkdownStore, StoreError, relative_path, slug_from_url

FETCHED = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)


def make_article(url: str = "https://news.example.com/world/harbour-plan-approved.html", **values) -> Article:
    defaults = dict(
        fetched_url=url,
        source="example",
        title="Harbour plan approved",
        body="The council approved the harbour plan.",
        fetched=FETCHED,
        published=datetime(2025, 3, 1, 8, 15, tzinfo=UTC),
    )
    return Article(url=url, **{**defaults, **values})


# --- paths ---------------------------------------------------------------------------------------


def test_seed_article_path() -> None:
    article = make_article(
        "https://new.qq.com/rain/a/20250207A05OGB00",
        source="qq",
        timezone="Asia/Shanghai",
        published=datetime.fromisoformat("2025-02-07T15:51:13+08:00"),
    )
    assert relative_path(article) == "qq/2025/02/20250207a05ogb00-1528f03d80.md"


def test_path_is_deterministic_and_blind_to_tracking_parameters() -> None:
    plain = make_article()
    tracked = make_article("https://news.example.com/world/harbour-plan-approved.html?utm_source=rss#top")
    assert relative_path(plain) == relative_path(make_article()) == relative_path(tracked)
    assert relative_path(plain).startswith("example/2025/03/harbour-plan-approved-")


@pytest.mark.parametrize(
    ("zone", "month"), [("Asia/Shanghai", "2025/02"), ("UTC", "2025/01"), ("America/New_York", "2025/01")]
)
def test_month_is_taken_in_the_source_zone(zone: str, month: str) -> None:
    article = make_article(published=datetime(2025, 1, 31, 23, 30, tzinfo=UTC), timezone=zone)
    assert relative_path(article).startswith(f"example/{month}/")


def test_month_falls_back_to_fetched() -> None:
    article = make_article(
        published=None, fetched=datetime(2024, 12, 31, 20, 0, tzinfo=UTC), timezone="Asia/Tokyo"
    )
    assert relative_path(article).startswith("example/2025/01/")


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://news.example.com/world/harbour-plan-approved.html", "harbour-plan-approved"),
        ("https://news.example.com/2025/harbour-plan/index.html", "harbour-plan"),
        ("https://news.example.com/news/Ünïcödé-Café_Story.HTML?id=3", "unicode-cafe-story"),
        ("https://example.cn/新闻/科技/人工智能", "article"),
        ("https://news.example.com/", "article"),
        ("https://news.example.com/story/12345.shtml", "12345"),
    ],
)
def test_slug_from_url(url: str, slug: str) -> None:
    assert slug_from_url(url) == slug


def test_long_slug_is_cut() -> None:
    slug = slug_from_url("https://news.example.com/" + "-".join(["word"] * 40))
    assert len(slug) <= 60 and not slug.endswith("-")


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://evil.test/..%2F..%2F..%2Fetc%2Fpasswd", "example"),
        ("https://evil.test/%2e%2e/%2e%2e/", "example"),
        ("https://evil.test/a/..\\..\\windows", "example"),
        ("https://news.example.com/a", "../../etc"),
        ("https://news.example.com/a", "/abs"),
        ("https://news.example.com/a", ".."),
        ("https://news.example.com/a", ""),
    ],
)
def test_hostile_urls_and_sources_stay_in_the_archive(tmp_path: Path, url: str, source: str) -> None:
    store = MarkdownStore(tmp_path)
    path = relative_path(make_article(url, source=source))
    assert ".." not in Path(path).parts and not path.startswith("/")
    assert store.absolute(path).is_relative_to(tmp_path.resolve())


@settings(max_examples=200, deadline=None)
@given(
    source=st.text(),
    path=st.text(st.characters(exclude_categories=("Cs",))),
)
def test_any_url_path_and_source_name_stay_in_the_archive(tmp_path_factory, source: str, path: str) -> None:
    root = tmp_path_factory.getbasetemp() / "archive"
    relpath = relative_path(make_article("https://news.example.com/" + path, source=source))
    assert MarkdownStore(root).absolute(relpath).is_relative_to(root.resolve())
    assert relpath.endswith(".md") and relpath.count("/") == 3


@pytest.mark.parametrize("relpath", ["../outside.md", "a/../../outside.md", "/etc/passwd", "", "."])
def test_absolute_rejects_paths_outside_the_root(tmp_path: Path, relpath: str) -> None:
    with pytest.raises(ValueError, match="outside the archive folder"):
        MarkdownStore(tmp_path / "news").absolute(relpath)


def test_absolute_rejects_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    (tmp_path / "news").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "news" / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError):
        MarkdownStore(tmp_path / "news").absolute("link/article.md")


# --- writing -------------------------------------------------------------------------------------

RELPATH = "example/2025/03/harbour-plan-approved-0123456789.md"


def temporaries(root: Path) -> list[Path]:
    return list(root.rglob(".tmp-*"))


def test_write_creates_folders_and_returns_bytes(tmp_path: Path) -> None:
    store = MarkdownStore(tmp_path)
    size = store.write(RELPATH, '---\ntitle: "港口"\n---\n')
    assert size == len('---\ntitle: "港口"\n---\n'.encode())
    assert (tmp_path / RELPATH).read_text(encoding="utf-8") == '---\ntitle: "港口"\n---\n'
    assert store.exists(RELPATH) and store.read(RELPATH) == '---\ntitle: "港口"\n---\n'


def test_rewrite_replaces_content_and_leaves_no_temporary(tmp_path: Path) -> None:
    store = MarkdownStore(tmp_path)
    store.write(RELPATH, "first version, a little longer\n")
    store.write(RELPATH, "second\n")
    assert store.read(RELPATH) == "second\n"
    assert temporaries(tmp_path) == []
    assert list(store.files()) == [RELPATH]


class FullDisk:
    """A file handle on a full disk: every write fails with ENOSPC."""

    def __init__(self, handle):
        self.handle = handle

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc_info) -> None:
        self.handle.close()

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self.handle.fileno()


def fail_at_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, *args, **kwargs: FullDisk(real_fdopen(fd, *args, **kwargs)))


def fail_at_replace(monkeypatch: pytest.MonkeyPatch) -> None:
    def replace(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("fail", [fail_at_write, fail_at_replace])
def test_disk_full_raises_store_error_and_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail
) -> None:
    store = MarkdownStore(tmp_path)
    store.write(RELPATH, "old content\n")
    fail(monkeypatch)
    with pytest.raises(StoreError) as caught:
        store.write(RELPATH, "new content\n")
    monkeypatch.undo()
    assert str(caught.value) == f"cannot write {tmp_path.resolve() / RELPATH}: no space left on device"
    assert caught.value.errno == errno.ENOSPC
    assert isinstance(caught.value, OSError)
    assert store.read(RELPATH) == "old content\n"
    assert temporaries(tmp_path) == []


def test_read_only_folder_raises_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "example" / "2025" / "03"
    folder.mkdir(parents=True)
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running with privileges that ignore folder permissions (root)")
        with pytest.raises(StoreError, match="permission denied"):
            MarkdownStore(tmp_path).write(RELPATH, "text\n")
        assert temporaries(tmp_path) == []
    finally:
        folder.chmod(0o700)


def test_files_lists_articles_only_in_stable_order(tmp_path: Path) -> None:
    store = MarkdownStore(tmp_path)
    for relpath in ["b/2025/01/z.md", "a/2025/02/y.md", "a/2025/01/x.md"]:
        store.write(relpath, "x\n")
    (tmp_path / "a" / "notes.txt").write_text("not an article")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hidden.md").write_text("x")
    (tmp_path / "a" / "2025" / "01" / ".tmp-abc.md").write_text("left by a killed process")
    assert list(store.files()) == ["a/2025/01/x.md", "a/2025/02/y.md", "b/2025/01/z.md"]
    (tmp_path / "b" / "2025" / "01" / ".tmp-def.md").write_text("another source's, being written")
    assert store.remove_temporaries("a") == 1
    assert temporaries(tmp_path) == [tmp_path / "b" / "2025" / "01" / ".tmp-def.md"]


def test_missing_root_has_no_files(tmp_path: Path) -> None:
    assert list(MarkdownStore(tmp_path / "absent").files()) == []
