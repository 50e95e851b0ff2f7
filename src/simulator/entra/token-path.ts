/**
 * The two token endpoints (docs/mde-api.md#sign-in): v2 `/{tenant}/oauth2/v2.0/token` and v1
 * `/{tenant}/oauth2/token`.
 */
export const TOKEN_ENDPOINTS = ['v1', 'v2'] as const;
export type TokenEndpoint = (typeof TOKEN_ENDPOINTS)[number];

export interface TokenPath {
  tenantSegment: string;
  endpoint: TokenEndpoint;
}

const TOKEN_PATH = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token\/?$/i;

/** Undefined when the path is not a token endpoint, so other handlers can take the request. */
export function parseTokenPath(pathname: string): TokenPath | undefined {
  const m = TOKEN_PATH.exec(pathname);
  if (!m) return undefined;
  let tenantSegment: string;
  try {
    tenantSegment = decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
  return { tenantSegment, endpoint: m[2] ? 'v2' : 'v1' };
}
