import { describe, expect, it } from 'vitest';
import { bytes, clock, networkError, where } from './format';

describe('clock', () => {
  it.each([
    [0, '00:00'],
    [3_000, '00:03'],
    [192_500, '03:12'],
    [3_599_999, '59:59'],
    [3_600_000, '1:00:00'],
    [7_384_000, '2:03:04'],
  ])('%d ms is %s', (ms, want) => expect(clock(ms)).toBe(want));
});

describe('bytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [36_909_875, '35.2 MiB'],
    [5 * 1024 ** 4, '5.0 TiB'],
  ])('%d is %s', (n, want) => expect(bytes(n)).toBe(want));
});

describe('where', () => {
  it('names the file, page, moment and heading', () => {
    expect(where({ path: '/a/b/report.pdf', page: 4, heading: 'Results' })).toBe('report.pdf p. 4 › Results');
    expect(where({ path: '/a/b/report.pdf', page: 51, page_end: 52 })).toBe('report.pdf pp. 51–52');
    expect(where({ path: '/a/b/report.pdf', page: 3, page_end: 3 })).toBe('report.pdf p. 3');
    expect(where({ path: '/v/memo.m4a', page: 0, time: { start_ms: 192_000 } })).toBe('memo.m4a 03:12');
    expect(where({ path: 'notes.md' })).toBe('notes.md');
  });
});

describe('network errors', () => {
  it.each([
    'Get "https://huggingface.co/x": dial tcp: lookup huggingface.co on 127.0.0.53:53: no such host',
    'dial tcp 10.0.0.1:443: connect: network is unreachable',
    'Hoard is not reachable: Failed to fetch',
  ])('%s reads as one sentence', (msg) => {
    expect(networkError(msg, 'the model server')).toBe('Could not reach the model server: this computer seems to be offline, or the model server is blocked. Connect and try again.');
  });
  it('leaves other errors as they are', () => {
    expect(networkError('checksum mismatch')).toBe('checksum mismatch');
  });
});
