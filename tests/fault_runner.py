"""`newsarchive` with a fault injected at the archive's write call, for the fault tests:

python tests/fault_runner.py ENOSPC 2 crawl ...   # the 3rd Markdown file written fails with ENOSPC
"""

from __future__ import annotations

import errno
import os
import sys
import types

import archive.store

opened = 0


class FailingFile:
    def __init__(self, handle):
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()

    def write(self, data):
        self.handle.write(data[: len(data) // 2])  # part of the bytes reach the disk, then it is full
        raise OSError(code, os.strerror(code))

    def __getattr__(self, name):
        return getattr(self.handle, name)


def fdopen(fd, *args, **kwargs):
    global opened
    opened += 1
    handle = os.fdopen(fd, *args, **kwargs)
    return handle if opened <= healthy else FailingFile(handle)


if __name__ == "__main__":  # (extraction workers import this file too: they must not run it)
    code = getattr(errno, sys.argv[1])
    healthy = int(sys.argv[2])
    archive.store.os = types.SimpleNamespace(**{**vars(os), "fdopen": fdopen})  # only the store sees it
    from crawler.cli import main

    sys.argv = ["newsarchive", *sys.argv[3:]]
    main()
