"""Streaming decoders for compressed request bodies (`Content-Encoding`).

Bodies are decoded chunk by chunk as they arrive, so a large insert is never held compressed and
decompressed at once. clickhouse-connect compresses every insert block as its own lz4 or zstd frame
and sends the frames back to back, so the lz4 and zstd decoders start a new frame after each one.

`finish()` at the end of the body raises if a frame was cut off: a body that ends mid-frame is a
truncated request, and the insert it carries must not be committed.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from typing import Protocol

import lz4.frame
import zstandard

from warehouse.server.errors import (
    CANNOT_DECOMPRESS,
    UNKNOWN_COMPRESSION_METHOD,
    WarehouseError,
)

try:  # brotli is optional: clickhouse-connect only offers `br` when it is installed too.
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None


class Decoder(Protocol):
    def decompress(self, data: bytes) -> bytes: ...

    def finish(self) -> bytes: ...


class _FrameDecoder:
    """Decodes concatenated frames/members with one single-frame decompressor per frame."""

    def __init__(self) -> None:
        self._current: object | None = None  # decompressor of the frame in progress
        self._started = False  # some input of the current frame was consumed

    def _new(self) -> object:
        raise NotImplementedError

    def _feed(self, decompressor: object, data: bytes) -> bytes:
        return decompressor.decompress(data)  # type: ignore[attr-defined]

    def _at_end(self, decompressor: object) -> bool:
        return bool(decompressor.eof)  # type: ignore[attr-defined]

    def _leftover(self, decompressor: object) -> bytes:
        return bytes(decompressor.unused_data or b"")  # type: ignore[attr-defined]

    def decompress(self, data: bytes) -> bytes:
        out: list[bytes] = []
        try:
            while data:
                if self._current is None:
                    self._current = self._new()
                self._started = True
                out.append(self._feed(self._current, data))
                if not self._at_end(self._current):
                    break
                data = self._leftover(self._current)
                self._current = None
                self._started = False
        except WarehouseError:
            raise
        except Exception as exc:  # each library raises its own error type
            raise WarehouseError.make(CANNOT_DECOMPRESS, f"Cannot decompress body: {exc}") from exc
        return b"".join(out)

    def finish(self) -> bytes:
        if self._started:
            raise WarehouseError.make(
                CANNOT_DECOMPRESS, "Compressed body ended in the middle of a frame"
            )
        return b""


class _Lz4Decoder(_FrameDecoder):
    def _new(self) -> object:
        return lz4.frame.LZ4FrameDecompressor()


class _ZstdDecoder(_FrameDecoder):
    def __init__(self) -> None:
        super().__init__()
        self._dctx = zstandard.ZstdDecompressor()

    def _new(self) -> object:
        return self._dctx.decompressobj()


class _ZlibDecoder(_FrameDecoder):
    """gzip (possibly several members) or zlib-wrapped deflate."""

    def __init__(self, wbits: int) -> None:
        super().__init__()
        self._wbits = wbits

    def _new(self) -> object:
        return zlib.decompressobj(wbits=self._wbits)


class _Bz2Decoder(_FrameDecoder):
    def _new(self) -> object:
        return bz2.BZ2Decompressor()


class _XzDecoder(_FrameDecoder):
    def _new(self) -> object:
        return lzma.LZMADecompressor()


class _BrotliDecoder:
    def __init__(self) -> None:
        self._dec = brotli.Decompressor()

    def decompress(self, data: bytes) -> bytes:
        try:
            return self._dec.process(data)
        except Exception as exc:
            raise WarehouseError.make(CANNOT_DECOMPRESS, f"Cannot decompress body: {exc}") from exc

    def finish(self) -> bytes:
        if not self._dec.is_finished():
            raise WarehouseError.make(CANNOT_DECOMPRESS, "Brotli body ended before its end mark")
        return b""


def make_decoder(content_encoding: str | None) -> Decoder | None:
    """The decoder for a `Content-Encoding` header value, None for an uncompressed body."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity", "none"):
        return None
    if encoding == "lz4":
        return _Lz4Decoder()
    if encoding in ("zstd", "zst"):
        return _ZstdDecoder()
    if encoding in ("gzip", "x-gzip"):
        return _ZlibDecoder(wbits=16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _ZlibDecoder(wbits=zlib.MAX_WBITS)
    if encoding in ("bz2", "bzip2"):
        return _Bz2Decoder()
    if encoding in ("xz", "lzma"):
        return _XzDecoder()
    if encoding == "br" and brotli is not None:
        return _BrotliDecoder()
    raise WarehouseError.make(
        UNKNOWN_COMPRESSION_METHOD, f"Unknown Content-Encoding of the request body: {encoding}"
    )
