"""Texts from a file, one per line, read as a stream (``predict --file``).

Memory stays bounded whatever the file is: lines are read one at a time and none may be
longer than a text the model reads (:data:`rnnlab.inference.MAX_INPUT_CHARS`), so
``/dev/zero`` or a huge file without newlines ends with a message, not with gigabytes.
A FIFO must get a writer within :data:`FIFO_WAIT_S` seconds instead of blocking forever.
"""
from __future__ import annotations

import os
import select
import stat
from collections.abc import Iterator
from typing import TextIO

from .errors import MAX_INPUT_CHARS

FIFO_WAIT_S = 10.0


class TextFileError(ValueError):
    """The file cannot be read as UTF-8 text with one text per line; the message says why."""


def open_text(path: str) -> TextIO:
    """``path`` opened as UTF-8 text; a folder or a FIFO nobody writes to is refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)   # a FIFO opens at once, writer or not
    except OSError as exc:
        raise TextFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise TextFileError(f"{path} is a folder, not a text file")
        if stat.S_ISFIFO(mode):
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            if not poller.poll(FIFO_WAIT_S * 1000):
                raise TextFileError(f"{path} is a FIFO and nothing was written to it within "
                                    f"{FIFO_WAIT_S:g} s (is a writer running?)")
        os.set_blocking(fd, True)
        return open(fd, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def text_lines(path: str) -> Iterator[str]:
    """The non-blank lines of a file, without their line ends, one at a time."""
    with open_text(path) as f:
        number = 0
        while True:
            try:
                line = f.readline(MAX_INPUT_CHARS + 1)
            except UnicodeDecodeError:
                raise TextFileError(f"{path} is not a UTF-8 text file (a byte after line {number} "
                                    "is not UTF-8)") from None
            except OSError as exc:
                raise TextFileError(f"cannot read {path}: {exc.strerror or exc}") from None
            if not line:
                return
            number += 1
            text = line[:-1] if line.endswith("\n") else line
            if "\x00" in text:
                raise TextFileError(f"{path}, line {number}: holds NUL bytes, so it is not a text file")
            if len(text) > MAX_INPUT_CHARS:
                raise TextFileError(f"{path}, line {number}: longer than {MAX_INPUT_CHARS:,} characters "
                                    "(one text per line)")
            if text.strip():
                yield text
