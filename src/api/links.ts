// Pagination links (docs/octavia-compatibility.md §3.1): `next` when the page is full, `previous` when the request
// had a marker. Each link repeats the request's filters, tag filters and `fields`.
import type { FastifyRequest } from 'fastify';
import type { ListQuery, RawQuery } from '../model/list-query.ts';

/** Re-emitted from the parsed query rather than copied from the request. */
const PAGING = new Set(['limit', 'marker', 'page_reverse', 'sort', 'sort_key', 'sort_dir']);

export function baseUrl(request: FastifyRequest, apiBaseUri: string | null): string {
  if (apiBaseUri) return apiBaseUri;
  const proto = (request.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0] ?? request.protocol;
  const host = (request.headers['x-forwarded-host'] as string | undefined)?.split(',')[0] ?? request.host;
  return `${proto}://${host}`;
}

export function pageLinks(
  request: FastifyRequest,
  apiBaseUri: string | null,
  query: ListQuery,
  rows: { id: string }[],
): { href: string; rel: 'next' | 'previous' }[] {
  const path = request.url.split('?')[0];
  const href = (marker: string, reverse: boolean) => {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.sortParam) params.set('sort', query.sortParam);
    // Octavia drops filters and `fields` from its links, so a client that follows the href as
    // given (gophercloud does) gets unfiltered rows from page 2 on; carry them over instead.
    for (const [key, raw] of Object.entries((request.query ?? {}) as RawQuery)) {
      if (raw === undefined || PAGING.has(key)) continue;
      for (const v of Array.isArray(raw) ? raw : [raw]) params.append(key, v);
    }
    params.set('marker', marker);
    if (reverse) params.set('page_reverse', 'True');
    return `${baseUrl(request, apiBaseUri)}${path}?${params.toString()}`;
  };
  const links: { href: string; rel: 'next' | 'previous' }[] = [];
  if (rows.length > 0 && rows.length === query.limit) links.push({ href: href(rows[rows.length - 1].id, false), rel: 'next' });
  if (query.marker && rows.length > 0) links.push({ href: href(rows[0].id, true), rel: 'previous' });
  return links;
}
