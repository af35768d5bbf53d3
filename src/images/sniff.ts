/** What the first bytes say a file is; never the file name or the client's MIME type. */
export type SniffedFormat = "JPEG" | "PNG" | "WEBP" | "GIF" | "BMP" | "TIFF" | "HEIC" | "PDF" | "SVG" | "UNKNOWN";

export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  const at = (offset: number, ascii: string) =>
    bytes.length >= offset + ascii.length && [...ascii].every((ch, i) => bytes[offset + i] === ch.charCodeAt(0));
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "JPEG";
  if (at(0, "\x89PNG\r\n\x1a\n")) return "PNG";
  if (at(0, "RIFF") && at(8, "WEBP")) return "WEBP";
  if (at(0, "GIF87a") || at(0, "GIF89a")) return "GIF";
  if (at(0, "BM")) return "BMP";
  if (at(0, "II*\0") || at(0, "MM\0*")) return "TIFF";
  if (at(4, "ftyp") && ["heic", "heix", "hevc", "mif1", "msf1", "avif"].some((brand) => at(8, brand))) return "HEIC";
  if (at(0, "%PDF")) return "PDF";
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) return "SVG";
  return "UNKNOWN";
}
