/**
 * Redaction of everything the client logs or puts in an error (secrets redacted from
 * logs): bearer tokens, client secrets and assertions, and the `sig=` of export SAS links, which
 * grants read access to the tenant's vulnerability data for hours (docs/mde-api.md#export-files).
 */

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

/** Query parameters whose values are credentials: SAS signature, OAuth form fields, tokens. */
const SECRET_PARAMS = new Set([
  'sig',
  'client_secret',
  'client_assertion',
  'access_token',
  'refresh_token',
  'password',
]);

/** Header and object keys whose values are credentials. */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|client_?secret|client_?assertion|access_?token|refresh_?token|private_?key(_?pem)?|password|secret|sig)$/i;

/** True when a header or field of this name holds a credential. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A URL with credential query values replaced; works on strings that are not valid URLs too. */
export function redactUrl(url: string): string {
  return url.replace(/([?&;])([^=&#\s]+)=([^&#\s]*)/g, (whole, sep: string, name: string) =>
    SECRET_PARAMS.has(safeDecode(name).toLowerCase()) ? `${sep}${name}=${REDACTED}` : whole,
  );
}

/** Headers with credential values replaced; `Authorization: Bearer x` keeps its scheme. */
export function redactHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : value.join(', ');
    if (!isSecretKey(name)) {
      out[name] = redactText(text);
      continue;
    }
    const scheme = /^(Bearer|Basic|Negotiate)\s+/i.exec(text);
    out[name] = scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
  }
  return out;
}

/**
 * Free text with credentials removed: bearer tokens, `key=value` credential pairs (form bodies,
 * URLs), JWT-looking strings, and any of the given known secret values.
 */
export function redactText(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of knownSecrets) {
    // Short values would blank out ordinary words; real secrets are long.
    if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(/\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`);
  out = out.replace(/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED);
  out = redactUrl(out);
  return out.replace(
    /(["']?)(client_?secret|client_?assertion|access_?token|password)\1(\s*[:=]\s*)(["']?)[^"'&\s,}]*\4/gi,
    (_whole, q: string, key: string, sep: string, vq: string) => `${q}${key}${q}${sep}${vq}${REDACTED}${vq}`,
  );
}

/**
 * A deep copy of a value for logging: credential-named keys blanked, strings passed through
 * {@link redactText}. Cycles and depth are bounded so a hostile object cannot hang the logger.
 */
export function redactValue(value: unknown, knownSecrets: readonly string[] = [], depth = 0): unknown {
  if (typeof value === 'string') return redactText(value, knownSecrets);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return '[…]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, knownSecrets, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message, knownSecrets) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      isSecretKey(key) && v !== undefined && v !== null ? REDACTED : redactValue(v, knownSecrets, depth + 1);
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
