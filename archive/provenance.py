"""Provenance: the HTTP response each archived version of an article was extracted from, kept as a
WARC record (request + response, with the ``warcio`` library) and found again from the index.

Files: one gzip WARC per source and crawl run, ``<archive>/.warc/<source>/<UTC stamp>-<run id>.warc.gz``,
a ``warcinfo`` record first, then a response record and its request record per kept response
(each record its own gzip member). A record is written, flushed and fsynced BEFORE the article's
Markdown file and index rows, so a row never points at bytes that are not on disk; a crawl killed
while writing leaves at most a torn last member in its own run's file, which does not hurt the
records before it (they are read by offset, each member on its own).

Table ``responses``: per article version (1 = first archived, as in ``revisions``) the URL, the
WARC file (relative to the archive folder), the response record's offset and length, the status
and when it was fetched. Only responses that produced a new article or a new revision get one.

What "as received" means here: the body is the one Scrapy's downloader received, after HTTP
transfer decoding (chunks joined) and before content decoding (a gzip-compressed page is stored
compressed); the headers are the received ones in their order, with names in Scrapy's
capitalisation; the status line is rebuilt from the protocol and the status code.
"""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive.models import ResponseRecord, Revision
from archive.store import StoreError

log = logging.getLogger(__name__)

WARC_DIR = ".warc"
MODES = ("warc", "none")


@dataclass(frozen=True)
class RawResponse:
    """An article response as the downloader received it (see the module's notes)."""

    url: str
    status: int
    protocol: str  # "HTTP/1.1"
    headers: tuple[tuple[str, str], ...]  # in the order received; values latin-1 decoded
    body: bytes  # still content-encoded (gzip, br, ...) when the server encoded it
    method: str
    request_headers: tuple[tuple[str, str], ...]
    fetched: datetime  # aware
    ip: str | None = None


@dataclass(frozen=True)
class RecordRef:
    file: str  # relative to the archive folder, POSIX separators
    offset: int  # of the response record's gzip member
    length: int  # of that member, in bytes of the file


# -- writing ------------------------------------------------------------------------------------


def _software() -> str:
    try:
        return f"newsarchive/{version('newsarchive')} warcio/{version('warcio')}"
    except PackageNotFoundError:
        return "newsarchive"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class WarcFile:
    """One source's WARC file of one run, created on its first record."""

    def __init__(self, root: Path, source: str, run_id: int):
        self.root = Path(root)
        self.source = source
        self.run_id = run_id
        self.relpath: str | None = None
        self._out: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None

    def _open(self) -> None:
        safe = re.sub(r"[^a-z0-9_-]", "-", self.source.lower()) or "source"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"{stamp}-{self.run_id}.warc.gz"
        folder = self.root / WARC_DIR / safe
        path = folder / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._out = open(path, "ab")  # noqa: SIM115 (kept open for the run)
            self._writer = WARCWriter(None, gzip=False)  # builds records; _member() compresses them
            if self._out.tell() == 0:
                info = {
                    "software": _software(),
                    "format": "WARC File Format 1.0",
                    "hostname": socket.gethostname(),
                    "isPartOf": self.source,
                    "description": (
                        f"newsarchive crawl run {self.run_id} of source {self.source}: the responses its "
                        "archived article versions were extracted from. Bodies as received after HTTP "
                        "transfer decoding, before content decoding; header names in Scrapy's capitalisation."
                    ),
                }
                self._out.write(self._member(self._writer.create_warcinfo_record(name, info), 6))
                self._sync()
            _fsync_dir(folder)
        except OSError as exc:
            self.close()
            raise StoreError(path, exc) from exc
        self.relpath = path.relative_to(self.root).as_posix()

    def _sync(self) -> None:
        assert self._out is not None
        self._out.flush()
        getattr(os, "fdatasync", os.fsync)(self._out.fileno())  # the data and the file's size

    def _member(self, record: ArcWarcRecord, level: int) -> bytes:
        """One record as its own gzip member. ``warcio`` compresses at level 9 whatever the body; a
        body the server already compressed gains nothing from it and costs milliseconds per page."""
        assert self._writer is not None
        buffer = io.BytesIO()
        self._writer.out = buffer
        self._writer.write_record(record)
        packer = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        return packer.compress(buffer.getvalue()) + packer.flush()

    def append(self, raw: RawResponse, sync: bool = True) -> RecordRef:
        """Write the response and its request record, on disk when this returns (with ``sync``;
        else once ``sync()`` returns: a batch's records are synced together). Raises StoreError."""
        if self._out is None:
            self._open()
        assert self._out is not None and self._writer is not None and self.relpath is not None
        writer = self._writer
        start = self._out.tell()
        date = datetime_to_iso_date(raw.fetched.astimezone(UTC).replace(tzinfo=None))
        try:
            extra = {"WARC-Date": date, **({"WARC-IP-Address": raw.ip} if raw.ip else {})}
            status = f"{raw.status} {_reason(raw.status)}".rstrip()
            response = writer.create_warc_record(
                raw.url, "response", payload=io.BytesIO(raw.body), length=len(raw.body),
                warc_headers_dict=extra,
                http_headers=StatusAndHeaders(status, list(raw.headers), protocol=raw.protocol),
            )  # fmt: skip
            # gzip, br, zstd bodies are stored (level 0): compressing them again only costs time
            encoded = any(k.lower() == "content-encoding" and v.strip().lower() not in ("", "identity")
                          for k, v in raw.headers)  # fmt: skip
            member = self._member(response, 0 if encoded else 6)
            request = writer.create_warc_record(
                raw.url, "request", warc_headers_dict={"WARC-Date": date},
                http_headers=StatusAndHeaders(
                    f"{raw.method} {_request_target(raw.url)} {raw.protocol}", list(raw.request_headers),
                    is_http_request=True,
                ),
            )  # fmt: skip
            request.rec_headers.add_header(
                "WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID")
            )
            self._out.write(member)
            self._out.write(self._member(request, 6))
            if sync:
                self._sync()
        except OSError as exc:
            self._undo(start)
            raise StoreError(self.root / self.relpath, exc) from exc
        return RecordRef(self.relpath, start, len(member))

    def sync(self) -> None:
        """The records appended so far, on disk. Raises StoreError."""
        if self._out is None:
            return
        try:
            self._sync()
        except OSError as exc:
            raise StoreError(self.root / (self.relpath or ""), exc) from exc

    def _undo(self, start: int) -> None:
        """Cut off a pair that could not be written whole, so later records follow complete ones."""
        try:
            assert self._out is not None
            self._out.flush()
        except OSError:
            pass
        try:
            os.truncate(self.root / (self.relpath or ""), start)
            if self._out is not None:
                self._out.seek(start)
        except OSError:
            pass

    def close(self) -> None:
        out, self._out, self._writer = self._out, None, None
        if out is not None:
            try:
                out.close()
            except OSError:
                pass


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class Provenance:
    """The WARC files of one crawl process: one per source (per run), created on first use."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._runs: dict[str, int] = {}
        self._files: dict[str, WarcFile] = {}

    def begin(self, source: str, run_id: int) -> None:
        self._runs[source] = run_id

    def write(self, source: str, raw: RawResponse, sync: bool = True) -> RecordRef:
        warc = self._files.get(source)
        if warc is None:
            warc = self._files[source] = WarcFile(self.root, source, self._runs.get(source, 0))
        return warc.append(raw, sync)

    def sync(self) -> None:
        """Every record written so far, on disk (one sync per file for a batch). Raises StoreError."""
        for warc in self._files.values():
            warc.sync()

    def close(self) -> None:
        for warc in self._files.values():
            warc.close()
        self._files.clear()


# -- keeping an article with its response -------------------------------------------------------


def response_row(article_id: int, version: int, raw: RawResponse, ref: RecordRef) -> ResponseRecord:
    """The ``responses`` row of an article version whose response was kept at ``ref``."""
    return ResponseRecord(
        article_id=article_id, version=version, url=raw.url, warc_file=ref.file, warc_offset=ref.offset,
        warc_length=ref.length, status=raw.status, fetched_at=raw.fetched,
    )  # fmt: skip


def record(session: sessionmaker[Session], article_id: int, raw: RawResponse, ref: RecordRef) -> None:
    """Index the response of the article's current version."""
    try:
        with session.begin() as s:
            kept = s.scalar(
                select(func.count()).select_from(Revision).where(Revision.article_id == article_id)
            )
            s.add(response_row(article_id, (kept or 0) + 1, raw, ref))
    except IntegrityError:  # that version already has its response (e.g. the index was rebuilt)
        log.warning("article %s: its current version already has a response record", article_id)


# -- reading ------------------------------------------------------------------------------------


class RecordProblem(Exception):
    """A WARC record the index points at is missing or unreadable (one line)."""


@dataclass(frozen=True)
class ArchivedResponse:
    url: str
    date: str  # WARC-Date
    status_line: str  # "HTTP/1.1 200 OK"
    headers: list[tuple[str, str]]
    wire_body: bytes  # exactly as received (content-encoded if it was)

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), None)

    def body(self) -> bytes:
        """The entity body with its Content-Encoding (gzip, deflate, br) undone: the page as served."""
        encoding = (self.header("Content-Encoding") or "").strip().lower()
        if not encoding or encoding == "identity":
            return self.wire_body
        try:
            if encoding == "zstd":
                return _zstd().decompress(self.wire_body)
            if encoding not in BufferedReader.get_supported_decompressors():
                raise RecordProblem(f"cannot decode Content-Encoding {encoding!r} (use --wire for the bytes)")
            return BufferedReader(io.BytesIO(self.wire_body), decomp_type=encoding).read()
        except RecordProblem:
            raise
        except Exception as exc:
            raise RecordProblem(f"cannot decode the {encoding} body: {exc}") from None


def _zstd():  # the module Scrapy decodes zstd with (Python 3.14, or its backport)
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        try:
            from backports import zstd  # type: ignore[import-not-found,no-redef]
        except ImportError:
            raise RecordProblem(
                "cannot decode Content-Encoding 'zstd' here (use --wire for the bytes)"
            ) from None
    return zstd


def read_record(root: Path, file: str, offset: int, length: int | None = None,
                check_digests: bool = False) -> ArchivedResponse:  # fmt: skip
    """The response record at ``offset`` of ``file`` (relative to ``root``). Raises RecordProblem."""
    path = Path(root) / file
    where = f"{file}@{offset}"
    try:
        handle = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise RecordProblem(f"{where}: WARC file not found") from None
    except OSError as exc:
        raise RecordProblem(f"{where}: cannot open the WARC file: {exc.strerror or exc}") from None
    with handle:
        try:
            size = os.fstat(handle.fileno()).st_size
            if offset >= size or (length is not None and offset + length > size):
                raise RecordProblem(f"{where}: past the end of the WARC file ({size} bytes)")
            handle.seek(offset)
            records = ArchiveIterator(handle, check_digests="raise" if check_digests else False)
            rec = next(iter(records), None)
            if rec is None:
                raise RecordProblem(f"{where}: no WARC record there")
            if rec.rec_type != "response" or rec.http_headers is None:
                raise RecordProblem(f"{where}: a {rec.rec_type} record, not a response")
            body = rec.raw_stream.read()
            if rec.length is not None and rec.http_headers.total_len + len(body) != rec.length:
                # a torn gzip member reads as a short record, without a decompression error
                got = rec.http_headers.total_len + len(body)
                raise RecordProblem(f"{where}: incomplete WARC record ({got} of {rec.length} bytes): torn")
            found = ArchivedResponse(
                url=rec.rec_headers.get_header("WARC-Target-URI") or "",
                date=rec.rec_headers.get_header("WARC-Date") or "",
                status_line=f"{rec.http_headers.protocol} {rec.http_headers.statusline}",
                headers=list(rec.http_headers.headers),
                wire_body=body,
            )
            records.read_to_end()
            if length is not None and records.get_record_length() != length:
                raise RecordProblem(
                    f"{where}: the record is {records.get_record_length()} bytes, the index says {length}"
                )
            return found
        except RecordProblem:
            raise
        except Exception as exc:  # torn or corrupt: zlib, warcio and parsing errors alike
            text = str(exc).strip().splitlines()
            raise RecordProblem(
                f"{where}: unreadable WARC record: {text[0] if text else type(exc).__name__}"
            ) from None


def responses(session: Session, article_id: int) -> list[ResponseRecord]:
    return list(session.scalars(
        select(ResponseRecord).where(ResponseRecord.article_id == article_id).order_by(ResponseRecord.version)
    ))  # fmt: skip


def check(session: Session, root: Path) -> Iterator[str]:
    """One line per ``responses`` row whose WARC record is missing, unreadable (torn, bad digest)
    or not the response of that row's URL."""
    rows = session.scalars(
        select(ResponseRecord).order_by(ResponseRecord.warc_file, ResponseRecord.warc_offset)
    )
    for row in rows:
        label = f"article {row.article_id} version {row.version}"
        try:
            found = read_record(root, row.warc_file, row.warc_offset, row.warc_length, check_digests=True)
        except RecordProblem as problem:
            yield f"{label}: {problem}"
            continue
        if found.url != row.url:
            yield f"{label}: {row.warc_file}@{row.warc_offset}: a response for {found.url}, not {row.url}"
