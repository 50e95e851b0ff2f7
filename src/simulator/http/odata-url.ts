/**
 * Rebuilds a URL with some query parameters replaced, writing `$` literally in names (`$skip`, not
 * `%24skip`) the way MDE's own nextLinks do.
 */
export function withQuery(url: URL, set: Record<string, string>, remove: readonly string[] = []): string {
  const params: Array<[string, string]> = [];
  for (const [k, v] of url.searchParams) {
    if (k in set || remove.includes(k)) continue;
    params.push([k, v]);
  }
  for (const [k, v] of Object.entries(set)) params.push([k, v]);
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return `${url.origin}${url.pathname}${query ? `?${query}` : ''}`;
}
