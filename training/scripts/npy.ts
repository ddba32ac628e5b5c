import { closeSync, openSync, writeSync } from "node:fs";

/**
 * Streams a uint8 .npy file (format 1.0, C order) whose first axis grows as rows are appended;
 * the shape in the header is written at `close()`, with the header padded to a fixed size.
 */
export class NpyUint8Writer {
  private readonly fd: number;
  private rows = 0;
  private static readonly headerBytes = 128;

  /** Opens `file` for rows of shape `rowShape` (e.g. [S, S, 3]). */
  constructor(
    file: string,
    private readonly rowShape: readonly number[],
  ) {
    this.fd = openSync(file, "w");
    writeSync(this.fd, Buffer.alloc(NpyUint8Writer.headerBytes));
  }

  /** Appends one row (its length must be the product of rowShape). */
  append(row: Uint8Array): void {
    const expected = this.rowShape.reduce((a, b) => a * b, 1);
    if (row.byteLength !== expected)
      throw new RangeError(`row of ${row.byteLength} bytes, expected ${expected}`);
    writeSync(this.fd, row);
    this.rows++;
  }

  /** Writes the header with the final shape and closes the file; returns the row count. */
  close(): number {
    const shape = [this.rows, ...this.rowShape].join(", ");
    const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape}), }`;
    const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 0x01, 0x00]);
    const bodyLength = NpyUint8Writer.headerBytes - magic.length - 2;
    const text = dict.padEnd(bodyLength - 1, " ") + "\n";
    const header = Buffer.alloc(NpyUint8Writer.headerBytes);
    magic.copy(header, 0);
    header.writeUInt16LE(bodyLength, 8);
    header.write(text, 10, "latin1");
    writeSync(this.fd, header, 0, header.length, 0);
    closeSync(this.fd);
    return this.rows;
  }
}
