#!/usr/bin/python3
"""Drives openstacksdk's load-balancer proxy for test/integration/openstack-clients.test.ts.

One long-lived process (importing openstacksdk costs about half a second, far too much to pay
per call) that reads one JSON request per line on stdin and answers one JSON line on stdout:

  {"id": 1, "method": "create_listener", "args": [], "kwargs": {...}}
  -> {"id": 1, "result": {...}}            the resource as a dict, a list of them, or null
  -> {"id": 1, "error": {"type": "NotFoundException", "status_code": 404, "message": "..."}}

`method` names a method of conn.load_balancer (the SDK's own proxy), so every call goes through
the SDK's resource classes, URL building, version discovery and error mapping. The special
method "request" uses the same proxy as a keystoneauth adapter for API calls the SDK has no
method for (the member batch update). The assertions live in the TypeScript test.

Usage: sdk_driver.py <fulcrum base URL>
"""
import json
import sys
import types

import openstack
import openstack.resource


def connect(endpoint):
    # No Keystone: the `none` auth plugin sends no credentials, and the endpoint override
    # replaces the service catalog for the load-balancer service. The SDK still reads the
    # version document at `endpoint` and follows its v2 link, as it would with a catalog.
    return openstack.connect(
        auth_type='none',
        load_balancer_endpoint_override=endpoint,
        # Bounded HTTP calls: a server that stops answering fails the call, not the test run.
        api_timeout=10,
    )


def plain(value):
    if isinstance(value, openstack.resource.Resource):
        # computed=False drops the client-side `location` block, which is not server data.
        return value.to_dict(computed=False)
    if isinstance(value, (list, tuple, types.GeneratorType)):
        return [plain(v) for v in value]
    return value


def call(conn, method, args, kwargs):
    proxy = conn.load_balancer
    if method == 'request':
        # kwargs: {"method": "PUT", "url": "/lbaas/...", "json": {...}}; the URL is relative to
        # the discovered v2 endpoint, exactly as the proxy's own methods build theirs.
        response = proxy.request(kwargs['url'], kwargs['method'], json=kwargs.get('json'), raise_exc=False)
        body = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = response.text
        return {'status_code': response.status_code, 'body': body}
    if method.startswith('_') or not hasattr(proxy, method):
        raise AttributeError('conn.load_balancer has no method %r' % method)
    return plain(getattr(proxy, method)(*args, **kwargs))


def main():
    conn = connect(sys.argv[1])
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            answer = {'id': request['id'], 'result': call(conn, request['method'], request.get('args', []), request.get('kwargs', {}))}
        except Exception as exc:  # every failure goes back to the test, which decides
            answer = {
                'id': request['id'],
                'error': {
                    'type': type(exc).__name__,
                    'status_code': getattr(exc, 'status_code', None),
                    'message': str(exc),
                },
            }
        sys.stdout.write(json.dumps(answer, default=str) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
