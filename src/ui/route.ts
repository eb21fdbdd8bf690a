// The dashboard's pages live in the URL's fragment (#/lb/<id>), so the server answers every
// page with the same index.html and a reload stays on the page.
export type Route = { page: 'loadbalancers' } | { page: 'loadbalancer'; id: string } | { page: 'operator' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const lb = /^\/lb\/([0-9a-fA-F-]{1,64})$/.exec(path);
  if (lb) return { page: 'loadbalancer', id: lb[1] };
  if (path === '/operator') return { page: 'operator' };
  return { page: 'loadbalancers' };
}

export function routeHref(route: Route): string {
  switch (route.page) {
    case 'loadbalancer':
      return `#/lb/${route.id}`;
    case 'operator':
      return '#/operator';
    default:
      return '#/';
  }
}

export function lbHref(id: string): string {
  return routeHref({ page: 'loadbalancer', id });
}
