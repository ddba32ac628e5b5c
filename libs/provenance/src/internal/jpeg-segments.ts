import { containsAscii, latin1, startsWithAscii, u16be } from "./bytes.js";
import type { MetadataCollector } from "./container-metadata.js";

const EXIF_HEADER = "Exif\0\0";
const XMP_HEADER = "http://ns.adobe.com/xap/1.0/\0";

/**
 * Walks JPEG marker segments from SOI to the first SOS (metadata precedes the scan), checking each
 * length against the file. Collects APP1 EXIF (as TIFF) and XMP, COM text, and the size of APP11
 * JUMBF segments that carry a C2PA store. Extended XMP (APP1 "xmp/extension") is not assembled.
 */
export function walkJpeg(bytes: Uint8Array, collector: MetadataCollector): void {
  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) {
      collector.problem(
        `JPEG has no marker at offset ${at} (corrupt segment structure): stopped reading segments`,
      );
      return;
    }
    // Fill bytes: any number of 0xFF may precede a marker.
    while (at < bytes.length && bytes[at] === 0xff) at++;
    if (at >= bytes.length) break;
    const marker = bytes[at]!;
    at++;
    if (marker === 0xd9 || marker === 0xda) return; // EOI, SOS: no metadata after this point
    if (marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (at + 2 > bytes.length) break;
    const length = u16be(bytes, at);
    if (length < 2 || at + length > bytes.length) {
      collector.problem(
        `JPEG segment 0xFF${marker.toString(16).toUpperCase()} at offset ${at - 2} claims ${length} bytes but only ${bytes.length - at} remain: stopped reading segments`,
      );
      return;
    }
    const payload = bytes.subarray(at + 2, at + length);
    readSegment(marker, payload, collector);
    at += length;
  }
  collector.problem("JPEG ends before its image data (truncated file)");
}

function readSegment(marker: number, payload: Uint8Array, collector: MetadataCollector): void {
  if (marker === 0xe1) {
    if (startsWithAscii(payload, EXIF_HEADER)) {
      const tiff = payload.subarray(EXIF_HEADER.length);
      if (startsWithAscii(tiff, "II*\0") || startsWithAscii(tiff, "MM\0*"))
        collector.addExif("JPEG APP1 EXIF", tiff);
      else collector.problem("JPEG APP1 EXIF segment does not hold a TIFF header: skipped");
    } else if (startsWithAscii(payload, XMP_HEADER)) {
      collector.addXmp("JPEG APP1 XMP", payload.subarray(XMP_HEADER.length));
    }
  } else if (marker === 0xeb) {
    // APP11 "JP" segments carry JUMBF boxes; C2PA's superbox is labelled "c2pa".
    // Continuation segments repeat the JP header but not the label, so once a store has started
    // every further JP segment belongs to it.
    if (startsWithAscii(payload, "JP") && (collector.result.c2paBytes > 0 || containsAscii(payload, "c2pa")))
      collector.addC2pa(payload.length);
  } else if (marker === 0xfe) {
    collector.addText("jpeg-COM", "comment", latin1(payload));
  }
}
