// The reference forms a *_container_ref may take for a stored certificate: its own URL
// (`<api base>/v2/fulcrum/certificates/<id>`), the key-manager shapes clients already send
// (`…/v1/containers/<id>`, `…/v1/secrets/<id>`), or the bare id. Pure.
import { isUuid } from '../model/list-query.ts';

const URL_FORM = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/\s]+)?(?:\/[^\s?#]*)?\/(?:v2(?:\.0)?\/fulcrum\/certificates|v1\/containers|v1\/secrets)\/([0-9a-fA-F-]{36})\/?$/;

/** The certificate id a reference names, or null when it is no reference to this store. */
export function certificateIdFromRef(ref: string): string | null {
  if (isUuid(ref)) return ref.toLowerCase();
  const m = URL_FORM.exec(ref);
  return m && isUuid(m[1]) ? m[1].toLowerCase() : null;
}

/** The canonical reference of a certificate, which the API hands out. */
export function certificateRef(apiBase: string, id: string): string {
  return `${apiBase.replace(/\/+$/, '')}/v2/fulcrum/certificates/${id}`;
}
