// The HTTP application: Octavia's transport conventions (JSON only, `.json` suffixes, `/v2.0`
// alias, request ids, fault bodies for every error) around the resource routes.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  BodyTooLarge,
  FulcrumError,
  InvalidInput,
  MethodNotAllowed,
  NotAcceptable,
  RouteNotFound,
} from '../errors.ts';
import { octaviaValidationError } from './octavia/validation-errors.ts';
import { faultBody } from './octavia/faults.ts';
import { coerceIntegerStrings } from './octavia/wsme-coercion.ts';
import { malformedText } from './well-formed-text.ts';
import { utf8Checked } from './utf8-body.ts';
import { clientErrorHandler, refuseUnmetExpectations, requireHost } from './transport-faults.ts';
import { installJsonBodyParser } from './octavia/json-body.ts';
import { authPlugin } from '../auth/request-auth.ts';
import type { ApiDeps } from './deps.ts';
import { logRoutes } from './fulcrum/logs.ts';
import { versionRoutes } from './resources/versions.ts';
import { loadBalancerRoutes } from './resources/loadbalancers.ts';
import { listenerRoutes } from './resources/listeners.ts';
import { poolRoutes } from './resources/pools.ts';
import { memberRoutes } from './resources/members.ts';
import { healthMonitorRoutes } from './resources/healthmonitors.ts';
import { l7PolicyRoutes } from './resources/l7policies.ts';
import { l7RuleRoutes } from './resources/l7rules.ts';
import { quotaRoutes } from './resources/quotas.ts';
import { providerRoutes } from './resources/providers.ts';
import { flavorRoutes } from './resources/flavors.ts';
import { flavorProfileRoutes } from './resources/flavorprofiles.ts';
import { availabilityZoneRoutes } from './resources/availabilityzones.ts';
import { availabilityZoneProfileRoutes } from './resources/availabilityzoneprofiles.ts';
import { jobRoutes } from './fulcrum/jobs.ts';
import { networkRoutes } from './fulcrum/networks.ts';
import { neutronRoutes } from './neutron/routes.ts';
import { certificateRoutes } from './fulcrum/certificates.ts';
import { drillRoutes } from './fulcrum/drills.ts';
import { lbOperatorRoutes } from './fulcrum/lb-operator.ts';
import { healthRoutes } from './fulcrum/health.ts';
import { amphoraRoutes } from './resources/amphorae.ts';
import { dashboardRoutes } from './fulcrum/dashboard.ts';
import { metricsRoutes } from './fulcrum/metrics.ts';
import { requestMetricsPlugin } from './request-metrics.ts';
import { quotaEventHook } from './quota-events.ts';
import { eventRoutes } from './fulcrum/events.ts';
import { webhookRoutes } from './fulcrum/webhooks.ts';
import { protectionRoutes } from './fulcrum/protection.ts';
import { hostRoutes } from './fulcrum/hosts.ts';

export type Api = Awaited<ReturnType<typeof buildApi>>;

const BODY_LIMIT = 114_688;

function isCidr(value: string): boolean {
  const [ip, prefix, ...rest] = value.split('/');
  const family = isIP(ip);
  if (rest.length || family === 0 || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** `/load-balancer/v2.0/lbaas/x.json?q` → `/v2/lbaas/x?q`. */
export function canonicalUrl(url: string): string {
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  path = path.replace(/^\/load-balancer(?=\/|$)/, '') || '/';
  path = path.replace(/^\/v2\.0(?=\/|$)/, '/v2');
  path = path.replace(/\.json$/, '');
  if (path.length > 1) path = path.replace(/\/+$/, '');
  return path + query;
}

/** The access-log follow stream answers newline-delimited JSON (src/api/fulcrum/logs.ts). */
function streamsNdjson(url: string, accept: string): boolean {
  return /^\/v2\/fulcrum\/loadbalancers\/[^/?]+\/logs(\?|$)/.test(url) && /(^|,)\s*application\/x-ndjson\s*(;|,|$)/i.test(accept);
}

function routePattern(url: string): RegExp {
  return new RegExp(`^${url.replace(/:[^/]+/g, '[^/]+')}/?$`);
}

export async function buildApi(deps: ApiDeps) {
  const routes: { method: string; pattern: RegExp }[] = [];
  const app = Fastify({
    loggerInstance: deps.log.child({ role: 'api' }),
    bodyLimit: BODY_LIMIT,
    genReqId: () => `req-${randomUUID()}`,
    requestIdHeader: false,
    rewriteUrl: (req) => canonicalUrl(req.url ?? '/'),
    // Room for the longest id a route takes (an availability zone name: 255 characters,
    // percent-encoded up to 9 each); longer segments are refused by frameworkErrors below.
    routerOptions: { maxParamLength: 2_400 },
    // Refusals below the router get fault bodies too (transport-faults.ts).
    clientErrorHandler,
    http: { requireHostHeader: false },
    // The router's own refusals (a malformed %-escape, an overlong path segment) come before any
    // hook or error handler runs; they get a fault body too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const err =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new FulcrumError('LB_ERR_URI_TOO_LONG', 414, 'Request URI is too long.')
          : new InvalidInput('The request URL is not valid.');
      reply.header('x-openstack-request-id', request.id).status(err.status).send(faultBody(err));
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
      plugins: [
        ((ajv: { addFormat: (name: string, fn: (v: string) => boolean) => unknown }) => {
          ajv.addFormat('ip-address', (v) => isIP(v) !== 0);
          ajv.addFormat('cidr', isCidr);
          return ajv;
        }) as never,
      ],
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installJsonBodyParser(app);

  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, pattern: routePattern(route.url) });
  });
  refuseUnmetExpectations(app.server);
  app.addHook('onRequest', requireHost);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-openstack-request-id', request.id);
    const accept = request.headers.accept;
    // Prometheus text, NDJSON log streams, the API docs and the dashboard's files are not JSON.
    const notJson = request.url.startsWith('/docs') || /^\/ui(\/|\?|$)/.test(request.url) || request.url.split('?')[0] === '/metrics' || (accept !== undefined && streamsNdjson(request.url, accept));
    if (accept && !/(^|,)\s*(application\/json|application\/\*|\*\/\*)\s*(;|,|$)/i.test(accept) && !notJson) {
      const err = new NotAcceptable();
      return reply
        .status(406)
        .send({ errors: [{ status: 406, title: 'Not Acceptable', detail: err.message, request_id: request.id }] });
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let err: FulcrumError;
    if (error instanceof FulcrumError) err = error;
    else if (error.validation) {
      // The value shown is read from the part that failed: the body, the path or the query.
      const part = error.validationContext === 'params' ? request.params : error.validationContext === 'querystring' ? request.query : request.body;
      err = octaviaValidationError(error.validation as never, part);
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') err = new BodyTooLarge();
    else if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError) {
      err = new InvalidInput('Request is not in valid JSON format');
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      err = new FulcrumError('LB_ERR_MEDIA_TYPE', 415, 'Only content type application/json is accepted.');
    } else if (['22021', '22P05', '22001'].includes((error as { code?: string }).code ?? '')) {
      // Text PostgreSQL cannot store (a NUL byte, bad encoding, too long) is the caller's fault.
      err = new InvalidInput('Invalid input: a value contains characters or a length the database cannot store.');
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      err = new FulcrumError('LB_ERR_REQUEST', error.statusCode, error.message);
    } else {
      request.log.error({ err: error, req_id: request.id }, 'unexpected error');
      err = new FulcrumError('LB_ERR_INTERNAL', 500, 'An unexpected error occurred; see the server log for request ' + request.id);
    }
    reply.status(err.status).send(faultBody(err));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const other = routes.some((r) => r.method !== request.method && r.pattern.test(path));
    const err = other ? new MethodNotAllowed() : new RouteNotFound(request.method, path);
    reply.status(err.status).send(faultBody(err));
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Fulcrum load balancing API (Octavia v2 compatible)', version: '2.30' },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('preParsing', async (_request, _reply, payload) => utf8Checked(payload));
  app.addHook('preValidation', async (request) => {
    const problem = malformedText(request.body);
    if (problem) throw new InvalidInput(`Invalid input: the request contains ${problem}.`);
  });

  // WSME compatibility: integer strings in integer fields (sent by python-octaviaclient).
  app.addHook('preValidation', async (request) => {
    const schema = request.routeOptions.schema?.body;
    if (schema && request.body && typeof request.body === 'object') coerceIntegerStrings(schema, request.body);
  });

  await app.register(requestMetricsPlugin);
  await app.register(authPlugin, deps);
  app.addHook('onError', quotaEventHook(deps.database.db, deps.log));

  await app.register(versionRoutes, deps);
  await app.register(loadBalancerRoutes, deps);
  await app.register(listenerRoutes, deps);
  await app.register(poolRoutes, deps);
  await app.register(memberRoutes, deps);
  await app.register(healthMonitorRoutes, deps);
  await app.register(l7PolicyRoutes, deps);
  await app.register(l7RuleRoutes, deps);
  await app.register(quotaRoutes, deps);
  await app.register(providerRoutes, deps);
  await app.register(flavorRoutes, deps);
  await app.register(flavorProfileRoutes, deps);
  await app.register(availabilityZoneRoutes, deps);
  await app.register(availabilityZoneProfileRoutes, deps);
  await app.register(jobRoutes, deps);
  await app.register(networkRoutes, deps);
  await app.register(neutronRoutes, deps);
  await app.register(certificateRoutes, deps);
  await app.register(drillRoutes, deps);
  await app.register(healthRoutes, deps);
  await app.register(logRoutes, deps);
  await app.register(lbOperatorRoutes, deps);
  await app.register(amphoraRoutes, deps);
  await app.register(dashboardRoutes, deps);
  await app.register(metricsRoutes, deps);
  await app.register(eventRoutes, deps);
  await app.register(webhookRoutes, deps);
  await app.register(protectionRoutes, deps);
  await app.register(hostRoutes, deps);
  return app;
}
