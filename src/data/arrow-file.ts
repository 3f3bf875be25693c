/**
 * Arrow IPC file reading and writing (the native table format of hemasynth), on the
 * apache-arrow library: the reference JavaScript implementation of the format.
 */
import * as fs from 'node:fs';
import { Table, tableFromIPC, tableToIPC } from 'apache-arrow';

/** Writes a table as an Arrow IPC file (random-access "file" format, `.arrow`). */
export function writeArrowFile(file: string, table: Table): void {
  fs.writeFileSync(file, tableToIPC(table, 'file'));
}

/** Reads a whole Arrow IPC file (file or stream format) into a table. */
export function readArrowFile(file: string): Table {
  return tableFromIPC(fs.readFileSync(file));
}
