// Files from an HTML5 drop, folders included (walked recursively), for the
// browser UI; the desktop window gets dropped paths natively instead.

/** The files dropped, with dropped folders walked; hidden files are left out. */
export async function droppedFiles(dt: DataTransfer): Promise<File[]> {
  const entries = [...(dt.items ?? [])]
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return [...dt.files];
  const out: File[] = [];
  for (const e of entries) await walk(e, out);
  return out;
}

async function walk(e: FileSystemEntry, out: File[]): Promise<void> {
  if (e.name.startsWith('.')) return;
  if (e.isFile) {
    out.push(await new Promise<File>((ok, fail) => (e as FileSystemFileEntry).file(ok, fail)));
    return;
  }
  if (!e.isDirectory) return;
  const reader = (e as FileSystemDirectoryEntry).createReader();
  // readEntries returns a folder's entries in batches until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return;
    for (const c of batch) await walk(c, out);
  }
}

/** Splits files into upload requests of at most n files. */
export function batches<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}
