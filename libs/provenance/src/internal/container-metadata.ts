import type { ContainerFormat } from "./container-format.js";

/** Where a text entry was found. */
export type TextSource = "png-tEXt" | "png-zTXt" | "png-iTXt" | "jpeg-COM";

/** One key/value text found in the container (PNG text chunk, JPEG comment). */
export interface TextEntry {
  source: TextSource;
  key: string;
  value: string;
}

/** The metadata blocks a container walker found, undecoded beyond text. */
export interface ContainerMetadata {
  format: ContainerFormat;
  texts: TextEntry[];
  /** XMP packets as bytes (UTF-8 XML). */
  xmpPackets: Uint8Array[];
  /** EXIF blocks as TIFF structures (starting with II*\0 or MM\0*). */
  exifBlocks: Uint8Array[];
  /** Total bytes of the embedded C2PA manifest store, 0 when there is none. */
  c2paBytes: number;
  /** What was wrong with the container, for the report. */
  problems: string[];
}

/** Bounds every walker works under. */
export interface MetadataLimits {
  /** Largest single block kept or inflated (text, XMP, EXIF, C2PA store). */
  maxBlockBytes: number;
  /** Largest sum of all blocks kept, so that many medium blocks cannot add up. */
  maxTotalBytes: number;
  /** Most text entries and blocks kept. */
  maxEntries: number;
}

/**
 * Collects blocks under {@link MetadataLimits}: what does not fit is dropped with a problem
 * that says what and why, never silently.
 */
export class MetadataCollector {
  readonly result: ContainerMetadata;
  private totalBytes = 0;
  private entries = 0;
  private overflowReported = false;

  constructor(
    format: ContainerFormat,
    readonly limits: MetadataLimits,
  ) {
    this.result = { format, texts: [], xmpPackets: [], exifBlocks: [], c2paBytes: 0, problems: [] };
  }

  /** Records a problem (bounded: the report never grows without limit). */
  problem(message: string): void {
    if (this.result.problems.length < 50) this.result.problems.push(message);
  }

  /** True when a block of `size` bytes may be kept; reports why not otherwise. */
  accept(what: string, size: number): boolean {
    if (size > this.limits.maxBlockBytes) {
      this.problem(
        `${what} is ${size} bytes, over the ${this.limits.maxBlockBytes}-byte limit for one metadata block: skipped`,
      );
      return false;
    }
    if (this.totalBytes + size > this.limits.maxTotalBytes || this.entries >= this.limits.maxEntries) {
      if (!this.overflowReported) {
        this.overflowReported = true;
        this.problem(
          `metadata exceeds ${this.limits.maxEntries} blocks or ${this.limits.maxTotalBytes} bytes in all: ${what} and later blocks skipped`,
        );
      }
      return false;
    }
    this.totalBytes += size;
    this.entries += 1;
    return true;
  }

  addText(source: TextSource, key: string, value: string): void {
    if (this.accept(`${source} "${key}"`, value.length)) this.result.texts.push({ source, key, value });
  }

  addXmp(what: string, packet: Uint8Array): void {
    if (this.accept(what, packet.length)) this.result.xmpPackets.push(packet);
  }

  addExif(what: string, tiff: Uint8Array): void {
    if (this.accept(what, tiff.length)) this.result.exifBlocks.push(tiff);
  }

  /** C2PA stores are counted, not kept: the SDK reads them from the whole file. */
  addC2pa(size: number): void {
    this.result.c2paBytes += size;
  }
}
