// Formatting shared by every screen.

/** A position in a recording as MM:SS, or H:MM:SS past an hour (as the CLI prints it). */
export function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
  return `${two(Math.floor(s / 60))}:${two(s % 60)}`;
}

/** Bytes in the units people read. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Where a hit or citation is: file, page or moment, heading. */
export function where(h: { path: string; page?: number; page_end?: number; heading?: string; time?: { start_ms: number } | null }): string {
  let s = h.path.split('/').pop() ?? h.path;
  if (h.page && h.page > 0) s += h.page_end && h.page_end > h.page ? ` pp. ${h.page}–${h.page_end}` : ` p. ${h.page}`;
  if (h.time) s += ` ${clock(h.time.start_ms)}`;
  if (h.heading) s += ` › ${h.heading}`;
  return s;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

/** A Unix time in seconds as a day ("1 Dec 2026"), or with its time. */
export function day(unix: number, full = false): string {
  if (!unix) return '';
  return (full ? fullFormat : dayFormat).format(new Date(unix * 1000));
}

/**
 * A network failure in one sentence a user can act on, instead of Go's
 * "dial tcp: lookup huggingface.co: no such host".
 */
export function networkError(msg: string, what = 'the server'): string {
  if (/no such host|server misbehaving|temporary failure in name resolution|network is unreachable|dial tcp|i\/o timeout|connection refused|tls handshake timeout|Failed to fetch/i.test(msg)) {
    return `Could not reach ${what}: this computer seems to be offline, or ${what} is blocked. Connect and try again.`;
  }
  return msg;
}
