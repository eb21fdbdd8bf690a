// Pagination links (reference §3.1): `next` when the page is full, `previous` when the request
// had a marker.
import type { FastifyRequest } from 'fastify';
import type { ListQuery } from './list-query.ts';

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
    params.set('marker', marker);
    if (reverse) params.set('page_reverse', 'True');
    return `${baseUrl(request, apiBaseUri)}${path}?${params.toString()}`;
  };
  const links: { href: string; rel: 'next' | 'previous' }[] = [];
  if (rows.length > 0 && rows.length === query.limit) links.push({ href: href(rows[rows.length - 1].id, false), rel: 'next' });
  if (query.marker && rows.length > 0) links.push({ href: href(rows[0].id, true), rel: 'previous' });
  return links;
}
