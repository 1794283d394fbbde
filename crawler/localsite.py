"""A small static HTTP server on 127.0.0.1 (standard library only) for the offline demo and the tests."""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import gzip
import hashlib
import socket
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

DEMO_DIR = Path(__file__).with_name("demo_site")
# The two GBK pages of the demo site: one declares <meta charset="gbk"> (header without charset),
# the other has no meta charset, so only the HTTP header names the encoding.
DEMO_CONTENT_TYPES = {
    "zh/2025/02/07/metro-line-9-opens.html": "text/html",
    "zh/2025/02/06/wetland-migratory-birds.html": "text/html; charset=gbk",
}
SUFFIX_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".xml": "application/xml",
    ".rss": "application/rss+xml", ".atom": "application/atom+xml", ".gz": "application/gzip",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8", ".json": "application/json", ".css": "text/css; charset=utf-8",
    ".md": "text/markdown; charset=utf-8", ".yaml": "text/plain; charset=utf-8",
}  # fmt: skip
GZIP_MIN_SIZE = 1024
_NOT_FOUND = (
    b"<!DOCTYPE html><html><head><title>Not Found</title></head><body><h1>Not Found</h1></body></html>"
)


@dataclass
class RequestLog:
    method: str
    path: str  # with query string
    headers: dict[str, str]  # lower-case keys
    status: int


@dataclass
class _Resource:
    body: bytes
    status: int
    headers: dict[str, str]
    etag: str | None = None
    last_modified: float | None = None
    gzipped: bytes | None = None
    delay: float = 0.0  # seconds to wait before answering (a slow server)


def _norm(path: str) -> str:
    parts = urlsplit(path)  # accepts absolute URLs too
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return quote(path if path.startswith("/") else "/" + path, safe="/?&=%:@!$'()*+,;~")


def _is_text(content_type: str) -> bool:
    mime = content_type.split(";")[0].strip().lower()
    return mime.startswith("text/") or mime.endswith(("xml", "json"))


def _content_type(rel: str) -> str:
    if rel.rsplit("/", 1)[-1] == "robots.txt":
        return "text/plain; charset=utf-8"
    return SUFFIX_TYPES.get(Path(rel).suffix.lower(), "application/octet-stream")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], site: LocalSite) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # client went away or stop() cut a keep-alive connection: not worth a traceback

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:  # wakes handler threads blocked on idle keep-alive connections
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LocalSite/1.0"
    timeout = 30
    server: _Server

    def do_GET(self) -> None:
        request_headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.site._wait(self.path)
        status, headers, body = self.server.site._answer(self.path, request_headers)
        self.server.site._log(RequestLog(self.command, _norm(self.path), request_headers, status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass  # tests start many servers: keep stderr quiet


class LocalSite:
    """Serve registered pages at http://127.0.0.1:PORT from a daemon thread; pages may change at any time."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.requests: list[RequestLog] = []
        self._routes: dict[str, _Resource] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def add(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        encoding: str = "utf-8",
        delay: float = 0.0,
    ) -> None:
        """Serve ``body`` at ``path``; ``delay`` makes every answer wait that many seconds."""
        path, data = _norm(path), body.encode(encoding) if isinstance(body, str) else bytes(body)
        merged = {"Content-Type": content_type}
        if status == 200:
            with self._lock:
                old = self._routes.get(path)
            stamp = float(int(time.time()))
            if old is not None and old.last_modified is not None:  # a changed page must look newer
                stamp = old.last_modified if old.body == data else max(stamp, old.last_modified + 1)
            merged["ETag"] = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            merged["Last-Modified"] = email.utils.formatdate(stamp, usegmt=True)
        for name, value in (headers or {}).items():
            merged = {k: v for k, v in merged.items() if k.lower() != name.lower()} | {name: value}
        lower = {k.lower(): v for k, v in merged.items()}
        resource = _Resource(
            data, status, merged, lower.get("etag"), _parse_date(lower.get("last-modified")), delay=delay
        )
        with self._lock:
            self._routes[path] = resource

    def add_redirect(self, path: str, location: str, status: int = 301) -> None:
        body = f'<!DOCTYPE html><html><body><a href="{location}">Moved</a></body></html>'
        self.add(path, body, status=status, headers={"Location": location})

    def remove(self, path: str) -> None:
        with self._lock:
            self._routes.pop(_norm(path), None)

    def add_directory(
        self,
        folder: Path,
        *,
        content_types: dict[str, str] | None = None,
        replace: dict[str, str] | None = None,
    ) -> None:
        """Serve every file below `folder` at its relative path.

        `content_types` maps a relative path to its Content-Type; `replace` maps ASCII placeholders to their
        values, substituted in the bytes of every file (inside .gz files too), so any encoding survives.
        """
        folder, types = Path(folder), {k.lstrip("/"): v for k, v in (content_types or {}).items()}
        for file in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            rel = file.relative_to(folder).as_posix()
            data = file.read_bytes()
            if replace:
                packed = file.suffix == ".gz"
                raw = gzip.decompress(data) if packed else data
                for old, new in replace.items():
                    raw = raw.replace(old.encode("ascii"), new.encode("ascii"))
                data = gzip.compress(raw, mtime=0) if packed else raw
            self.add("/" + rel, data, content_type=types.get(rel) or _content_type(rel))

    def start(self) -> LocalSite:
        if self._server is None:
            self._server = _Server((self.host, self.port), self)
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalSite is not running: call start() or use it as a context manager first")
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + _norm(path)

    def hits(self, path: str) -> int:
        path = _norm(path)
        with self._lock:
            return sum(1 for r in self.requests if r.method == "GET" and r.path == path)

    def _log(self, entry: RequestLog) -> None:
        with self._lock:
            self.requests.append(entry)

    def _find(self, path: str) -> tuple[_Resource | None, str | None]:
        """The resource for a request path, or the directory URL to redirect to (`/dir` → `/dir/`)."""
        bare = urlsplit(path).path
        with self._lock:
            found = self._routes.get(path) or self._routes.get(bare)
            if found is None and bare.endswith("/"):
                found = self._routes.get(bare + "index.html")
            elif found is None and bare + "/index.html" in self._routes:
                return None, bare + "/"
        return found, None

    def _wait(self, raw_path: str) -> None:
        res, _ = self._find(_norm(raw_path))
        if res is not None and res.delay > 0:
            time.sleep(res.delay)

    def _answer(self, raw_path: str, req: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        res, slash = self._find(_norm(raw_path))
        if slash is not None:
            return 301, {"Location": slash, "Content-Type": "text/html; charset=utf-8"}, b""
        if res is None:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, _NOT_FOUND
        headers, body = dict(res.headers), res.body
        compress = "gzip" in req.get("accept-encoding", "").lower() and len(body) > GZIP_MIN_SIZE
        compress = compress and not any(k.lower() == "content-encoding" for k in res.headers)  # pre-encoded
        if res.status == 200 and compress and _is_text(res.headers.get("Content-Type", "")):
            if res.gzipped is None:
                res.gzipped = gzip.compress(body, mtime=0)
            body = res.gzipped
            headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        if res.status == 200 and _not_modified(res, req):
            keep = ("etag", "last-modified", "vary", "cache-control")
            return 304, {k: v for k, v in headers.items() if k.lower() in keep}, body
        return res.status, headers, body


def _parse_date(value: str | None) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).timestamp()


def _not_modified(res: _Resource, req: dict[str, str]) -> bool:
    if "if-none-match" in req:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
        tags = {t.strip().removeprefix("W/") for t in req["if-none-match"].split(",")}
        return "*" in tags or (res.etag is not None and res.etag in tags)
    since = _parse_date(req.get("if-modified-since"))
    return since is not None and res.last_modified is not None and res.last_modified <= since


def demo_site(**kw: Any) -> LocalSite:
    """Start a LocalSite serving the bundled demo news site, `{{base}}` replaced by its base URL."""
    site = LocalSite(**kw).start()
    try:
        site.add_directory(DEMO_DIR, content_types=DEMO_CONTENT_TYPES, replace={"{{base}}": site.base_url})
    except BaseException:
        site.stop()
        raise
    return site


def demo_config(base_url: str) -> str:
    """The demo's config.yaml text for a demo site running at `base_url`."""
    return (DEMO_DIR / "config.yaml").read_text(encoding="utf-8").replace("{{base}}", base_url.rstrip("/"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.localsite", description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, help="folder to serve (default: the demo site)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    args = parser.parse_args(argv)
    if args.folder is not None and not args.folder.is_dir():
        parser.error(f"{args.folder}: not a folder")
    try:
        if args.folder is None or args.folder.resolve() == DEMO_DIR.resolve():
            site = demo_site(host=args.host, port=args.port)
        else:
            site = LocalSite(args.host, args.port).start()
            site.add_directory(args.folder, replace={"{{base}}": site.base_url})
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc} (try another --port)", file=sys.stderr)
        return 1
    with contextlib.suppress(KeyboardInterrupt):
        print(f"Serving {args.folder or DEMO_DIR} at {site.base_url}/ - press Ctrl-C to stop", flush=True)
        threading.Event().wait()
    site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
