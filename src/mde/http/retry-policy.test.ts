import { describe, expect, it } from 'vitest';
import { decideRetry, parseRetryAfter, type RetryInput } from './retry-policy.js';

const NOW = Date.parse('2026-11-01T00:00:00Z');
const half = () => 0.5;
const top = () => 0.999_999;

type Row = [
  name: string,
  input: Partial<RetryInput>,
  expected: { retry: boolean; delayMs?: number; reason?: RegExp },
];

const rows: Row[] = [
  [
    '429 with Retry-After seconds',
    { status: 429, retryAfterHeader: '7' },
    { retry: true, delayMs: 7000, reason: /Retry-After 7 s/ },
  ],
  [
    '429 with fractional Retry-After',
    { status: 429, retryAfterHeader: '1.5' },
    { retry: true, delayMs: 1500 },
  ],
  [
    '429 with Retry-After HTTP date',
    { status: 429, retryAfterHeader: new Date(NOW + 30_000).toUTCString(), nowMs: NOW },
    { retry: true, delayMs: 30_000 },
  ],
  [
    'Retry-After date in the past means now',
    { status: 503, retryAfterHeader: new Date(NOW - 5000).toUTCString(), nowMs: NOW },
    { retry: true, delayMs: 0 },
  ],
  [
    'Retry-After date without a clock falls back to backoff',
    { status: 503, retryAfterHeader: 'Sun, 01 Nov 2026 00:00:30 GMT' },
    { retry: true, delayMs: 500 },
  ],
  [
    'unreadable Retry-After falls back to backoff',
    { status: 429, retryAfterHeader: 'soon' },
    { retry: true, delayMs: 500 },
  ],
  [
    'Retry-After beyond an hour gives up',
    { status: 429, retryAfterHeader: '7200' },
    { retry: false, reason: /too long/ },
  ],
  [
    '429 without Retry-After: backoff attempt 1',
    { status: 429 },
    { retry: true, delayMs: 500, reason: /backoff/ },
  ],
  ['500 backoff attempt 3', { status: 500, attempt: 3 }, { retry: true, delayMs: 2000 }],
  ['502 retries', { status: 502 }, { retry: true, delayMs: 500 }],
  ['503 retries', { status: 503 }, { retry: true, delayMs: 500 }],
  ['504 retries', { status: 504 }, { retry: true, delayMs: 500 }],
  ['backoff is capped at 60 s', { status: 500, attempt: 10, random: top }, { retry: true, delayMs: 59_999 }],
  [
    'huge attempt numbers stay finite',
    { status: 500, attempt: 5000, maxRetries: 10_000, random: top },
    { retry: true, delayMs: 59_999 },
  ],
  ['full jitter can be zero', { status: 500, random: () => 0 }, { retry: true, delayMs: 0 }],
  ['ECONNRESET retries', { errorCode: 'ECONNRESET' }, { retry: true, delayMs: 500, reason: /ECONNRESET/ }],
  ['headers timeout retries', { errorCode: 'UND_ERR_HEADERS_TIMEOUT' }, { retry: true, delayMs: 500 }],
  ['body cut mid-way retries', { errorCode: 'UND_ERR_SOCKET' }, { retry: true, delayMs: 500 }],
  ['connect timeout retries', { errorCode: 'UND_ERR_CONNECT_TIMEOUT' }, { retry: true, delayMs: 500 }],
  [
    'certificate errors never retry',
    { errorCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    { retry: false, reason: /not retryable/ },
  ],
  ['an unknown failure never retries', {}, { retry: false }],
  ['400 never retries', { status: 400 }, { retry: false, reason: /HTTP 400 is not retryable/ }],
  ['401 is renewed upstream, not retried', { status: 401 }, { retry: false, reason: /renew the token/ }],
  ['403 never retries', { status: 403 }, { retry: false }],
  ['404 never retries', { status: 404 }, { retry: false }],
  ['501 never retries', { status: 501 }, { retry: false }],
  ['the last allowed retry', { status: 500, attempt: 10, maxRetries: 10 }, { retry: true }],
  [
    'stops after maxRetries',
    { status: 500, attempt: 11, maxRetries: 10 },
    { retry: false, reason: /gave up after 10 retries/ },
  ],
  [
    'stops after maxRetries even with Retry-After',
    { status: 429, attempt: 4, maxRetries: 3, retryAfterHeader: '1' },
    { retry: false },
  ],
  ['maxRetries 0 never retries', { status: 503, attempt: 1, maxRetries: 0 }, { retry: false }],
  [
    'custom base and cap',
    { status: 500, attempt: 4, baseDelayMs: 100, maxDelayMs: 500, random: top },
    { retry: true, delayMs: 499 },
  ],
];

describe('decideRetry', () => {
  it.each(rows)('%s', (_name, partial, expected) => {
    const decision = decideRetry({ attempt: 1, maxRetries: 10, random: half, ...partial });
    expect(decision.retry).toBe(expected.retry);
    if (expected.delayMs !== undefined) expect(decision.retry && decision.delayMs).toBe(expected.delayMs);
    if (expected.reason) expect(decision.reason).toMatch(expected.reason);
  });

  it('is pure: the same input gives the same decision', () => {
    const input: RetryInput = { attempt: 2, maxRetries: 10, status: 503, random: () => 0.25 };
    expect(decideRetry(input)).toEqual(decideRetry(input));
  });

  it('spreads delays over the whole jitter window', () => {
    const delays = [0, 0.25, 0.5, 0.75].map((r) => {
      const d = decideRetry({ attempt: 3, maxRetries: 10, status: 500, random: () => r });
      return d.retry ? d.delayMs : -1;
    });
    expect(delays).toEqual([0, 1000, 2000, 3000]);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    [' 12 ', 12_000],
    ['-1', undefined],
    ['1e3', undefined],
  ])('%j → %j', (header, ms) => {
    expect(parseRetryAfter(header as string | undefined, NOW)).toBe(ms);
  });
});
