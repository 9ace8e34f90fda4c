/**
 * Text detection and decoding shared by the document stores: a document is text when it has no NUL
 * byte anywhere and is valid UTF-8. Lengths are counted in code points, like Python's `len`,
 * because the sandbox (CPython) is where `context` lives.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { DocumentError } from '../../core/errors';
import type { TextBytes } from '../../core/ports';

/** Directory names never descended into (local) and path segments skipped (S3 prefixes). */
export const IGNORED_DIRECTORIES: ReadonlySet<string> = new Set(['.git', 'node_modules']);

/**
 * File extensions treated as binary without reading the content (S3 listings, where reading every
 * object to sniff it would be costly; explicitly named S3 objects with these extensions are refused).
 */
export const BINARY_EXTENSIONS: ReadonlySet<string> = new Set([
  // images
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'tif', 'tiff', 'webp', 'ico', 'icns', 'heic', 'psd',
  // documents that are not plain text
  'pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'odp',
  // archives and compressed
  'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', 'tar', '7z', 'rar', 'lz4', 'br',
  // compiled code and libraries
  'jar', 'war', 'class', 'so', 'dll', 'dylib', 'exe', 'bin', 'o', 'a', 'lib', 'pyc', 'pyo', 'wasm', 'dex',
  // fonts
  'woff', 'woff2', 'ttf', 'otf', 'eot',
  // audio and video
  'mp3', 'mp4', 'm4a', 'wav', 'flac', 'ogg', 'avi', 'mov', 'mkv', 'webm',
  // data files that are not text
  'parquet', 'avro', 'orc', 'sqlite', 'db', 'pkl', 'npy', 'npz', 'h5', 'onnx', 'pt', 'safetensors',
]);

/** True when the path or key ends in one of `BINARY_EXTENSIONS` (case-insensitive). */
export function hasBinaryExtension(pathOrKey: string): boolean {
  const base = pathOrKey.slice(pathOrKey.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 && BINARY_EXTENSIONS.has(base.slice(dot + 1).toLowerCase());
}

/** Outcome of `decodeText`: the text, or why the bytes are not text. */
export type DecodedText = { ok: true; text: string } | { ok: false; reason: string };

/**
 * Decode bytes as UTF-8 text, or say why they are not text: a NUL byte anywhere (binary; the same rule
 * as the AgentCore sandbox's loader, so a document loads locally exactly when it loads on AWS), or
 * invalid UTF-8. A leading UTF-8 byte-order mark is dropped.
 */
export function decodeText(bytes: Uint8Array): DecodedText {
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { ok: false, reason: `binary content (NUL byte at offset ${nul})` };
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: `not valid UTF-8 (at byte ${firstInvalidUtf8Offset(bytes)})` };
  }
}

/**
 * Check bytes are text by the same rule as `decodeText` without decoding them (no string is built):
 * no NUL byte, valid UTF-8 (Node's native validator), a leading byte-order mark dropped (a view, not a
 * copy). The length is counted in code points on the bytes. For a 100 MB document this is tens of
 * milliseconds where decoding it took hundreds and a second copy of it in memory.
 */
export function checkTextBytes(bytes: Uint8Array): { ok: true; text: TextBytes } | { ok: false; reason: string } {
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { ok: false, reason: `binary content (NUL byte at offset ${nul})` };
  if (!isUtf8(bytes)) return { ok: false, reason: `not valid UTF-8 (at byte ${firstInvalidUtf8Offset(bytes)})` };
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  return { ok: true, text: { bytes: body, chars: utf8CodePoints(body) } };
}

/** `checkTextBytes` or throw `DocumentError` naming `label` and the reason. */
export function textBytesOrThrow(bytes: Uint8Array, label: string): TextBytes {
  const checked = checkTextBytes(bytes);
  if (!checked.ok) throw new DocumentError(`${label} is not a text document: ${checked.reason}`);
  return checked.text;
}

/**
 * `checkTextBytes` over a document that arrives in slices (a file read with one small buffer): the same
 * verdict and length, without ever holding the whole document. Feed every slice in order, then `end()`.
 */
export class TextChecker {
  private offset = 0;
  private chars = 0;
  private carry: Uint8Array = new Uint8Array(0);
  /** A NUL byte decides (binary), as in `decodeText`; the first invalid UTF-8 only if there is none. */
  private nul: string | null = null;
  private invalid: string | null = null;

  /** Check the next slice (the caller may reuse its buffer afterwards). */
  push(slice: Uint8Array): void {
    if (this.nul) return;
    const bytes = this.carry.length ? concat(this.carry, slice) : slice;
    const nul = bytes.indexOf(0);
    if (nul !== -1) {
      this.nul = `binary content (NUL byte at offset ${this.offset + nul})`;
      return;
    }
    // An incomplete sequence at the end waits for the next slice.
    let cut = bytes.length;
    for (let back = 1; back <= 3 && back <= bytes.length; back++) {
      const b = bytes[bytes.length - back]!;
      if ((b & 0xc0) === 0x80) continue;
      if ((b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1) > back) cut = bytes.length - back;
      break;
    }
    const whole = bytes.subarray(0, cut);
    if (!this.invalid) {
      if (!isUtf8(whole)) this.invalid = `not valid UTF-8 (at byte ${this.offset + firstInvalidUtf8Offset(whole)})`;
      else {
        const bom = this.offset === 0 && whole[0] === 0xef && whole[1] === 0xbb && whole[2] === 0xbf ? 1 : 0;
        this.chars += utf8CodePoints(whole) - bom;
      }
    }
    this.offset += cut;
    this.carry = bytes.slice(cut);
  }

  /** The verdict: the length in code points, or why the document is not text. */
  end(): { ok: true; chars: number } | { ok: false; reason: string } {
    if (!this.invalid && this.carry.length) this.invalid = `not valid UTF-8 (at byte ${this.offset})`;
    const reason = this.nul ?? this.invalid;
    return reason ? { ok: false, reason } : { ok: true, chars: this.chars };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Code points in valid UTF-8: every byte that is not a continuation byte (10xxxxxx) starts one. */
export function utf8CodePoints(bytes: Uint8Array): number {
  if (isAscii(bytes)) return bytes.length;
  let continuation = 0;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & 0xc0) === 0x80) continuation++;
  return bytes.length - continuation;
}

/** Decode bytes as text or throw `DocumentError` naming `label` and the reason. */
export function decodeTextOrThrow(bytes: Uint8Array, label: string): string {
  const decoded = decodeText(bytes);
  if (!decoded.ok) throw new DocumentError(`${label} is not a text document: ${decoded.reason}`);
  return decoded.text;
}

/** Number of Unicode code points in a well-formed string (Python's `len`), not UTF-16 code units. */
export function countCodePoints(text: string): number {
  let lowSurrogates = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const prev = text.charCodeAt(i - 1);
      if (prev >= 0xd800 && prev <= 0xdbff) lowSurrogates++;
    }
  }
  return text.length - lowSurrogates;
}

/**
 * Offset of the first byte that breaks UTF-8 (for error messages). One pass over the bytes with the
 * decoder's own rules (no overlongs, no surrogates, nothing past U+10FFFF), so a large document with a
 * bad byte near its end costs a scan, not a decoder per character.
 */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0 || i + need >= bytes.length) return i; // invalid lead byte or truncated sequence
    // The second byte's range is narrower after E0, ED, F0 and F4; the others are plain continuations.
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k <= need; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return bytes.length;
}
