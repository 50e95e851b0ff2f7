import { describe, expect, it } from 'vitest';
import { createLogSink, type LogEntry } from '../mde-logger.js';
import { REDACTED, redactHeaders, redactText, redactUrl, redactValue } from './redact.js';

const SAS =
  'https://tvmexportstrstgeus.blob.core.windows.net/tvm-export/part-00393.json.gz?sv=2020-08-04&se=2021-01-11T12%3A00%3A00Z&sr=b&sp=r&sig=abc%2Bdef%3D';

describe('redactUrl', () => {
  it('blanks the SAS signature and keeps the rest', () => {
    const out = redactUrl(SAS);
    expect(out).not.toContain('abc%2Bdef');
    expect(out).toContain(`sig=${REDACTED}`);
    expect(out).toContain('sv=2020-08-04');
    expect(out).toContain('se=2021-01-11T12%3A00%3A00Z');
  });

  it('blanks OAuth form fields wherever they appear', () => {
    const out = redactUrl(
      'grant_type=client_credentials&client_id=abc&client_secret=s3cr3t~x&client_assertion=eyJ.a.b',
    );
    expect(out).toBe(
      `grant_type=client_credentials&client_id=abc&client_secret=${REDACTED}&client_assertion=${REDACTED}`,
    );
  });

  it('leaves URLs without credentials alone', () => {
    const url = "https://api.security.microsoft.com/api/machines?$top=100&$filter=healthStatus eq 'Active'";
    expect(redactUrl(url)).toBe(url);
  });
});

describe('redactHeaders', () => {
  it('keeps the scheme of Authorization and blanks the credential', () => {
    expect(
      redactHeaders({
        authorization: 'Bearer eyJ0eXAiOiJKV1QifQ.eyJhIjoxfQ.sig',
        'Proxy-Authorization': 'Basic dXNlcjpwYXNz',
        cookie: 'a=b',
        accept: 'application/json',
        'set-cookie': ['x=1', 'y=2'],
        absent: undefined,
      }),
    ).toEqual({
      authorization: `Bearer ${REDACTED}`,
      'Proxy-Authorization': `Basic ${REDACTED}`,
      cookie: REDACTED,
      accept: 'application/json',
      'set-cookie': REDACTED,
    });
  });
});

describe('redactText', () => {
  it('removes bearer tokens, JWTs, known secrets, SAS signatures and secret fields', () => {
    const secret = 'Xy8Q~verysecretvalue.123';
    const text = [
      'Authorization: Bearer abc.def-ghi',
      'token eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln',
      `the secret is ${secret}`,
      `download ${SAS}`,
      '{"client_secret":"hunter22","clientSecret": "other-one","password":"pw"}',
    ].join('\n');
    const out = redactText(text, [secret]);
    for (const leaked of ['abc.def-ghi', 'eyJ0eXAi', secret, 'abc%2Bdef', 'hunter22', 'other-one', '"pw"']) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain('"client_secret":"[REDACTED]"');
  });

  it('ignores known secrets too short to be real', () => {
    expect(redactText('a b c', ['a'])).toBe('a b c');
  });
});

describe('redactValue', () => {
  it('blanks credential keys deeply and copies the rest', () => {
    const input = {
      tenantId: 't',
      credential: { clientSecret: 'abcdefgh', privateKeyPem: '-----BEGIN PRIVATE KEY-----' },
      headers: { Authorization: 'Bearer x' },
      list: [{ access_token: 'tok' }, 'url?sig=zzz'],
      error: new Error('failed with Bearer abc123'),
    };
    const out = redactValue(input) as Record<string, unknown>;
    expect(out).toEqual({
      tenantId: 't',
      credential: { clientSecret: REDACTED, privateKeyPem: REDACTED },
      headers: { Authorization: REDACTED },
      list: [{ access_token: REDACTED }, `url?sig=${REDACTED}`],
      error: { name: 'Error', message: `failed with Bearer ${REDACTED}` },
    });
    expect(input.credential.clientSecret).toBe('abcdefgh');
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(() => redactValue(a)).not.toThrow();
  });
});

describe('createLogSink', () => {
  it('hands a function logger redacted entries', () => {
    const entries: LogEntry[] = [];
    const log = createLogSink((e) => entries.push(e), ['my-client-secret']);
    log('warn', 'retry', 'GET https://x/api?sig=abc failed for my-client-secret', {
      url: SAS,
      authorization: 'Bearer t',
      nested: { detail: 'my-client-secret' },
    });
    const text = JSON.stringify(entries);
    expect(text).not.toContain('my-client-secret');
    expect(text).not.toContain('abc%2Bdef');
    expect(entries[0]).toMatchObject({ level: 'warn', event: 'retry' });
  });

  it('calls a pino-like logger with fields first, and survives a throwing logger', () => {
    const calls: unknown[][] = [];
    const log = createLogSink({ info: (fields, msg) => calls.push([fields, msg]) });
    log('info', 'token-acquired', 'ok', { n: 1 });
    log('debug', 'ignored', 'no debug method');
    expect(calls).toEqual([[{ n: 1, event: 'token-acquired' }, 'ok']]);
    const throwing = createLogSink(() => {
      throw new Error('disk full');
    });
    expect(() => throwing('error', 'x', 'y')).not.toThrow();
  });
});
