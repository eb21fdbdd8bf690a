// The agent's REST API, `/1.0/…`, over mutual TLS: only clients holding a clientAuth
// certificate from the controller CA complete the handshake. Bodies are JSON; errors are
// `{ code, message, details? }`.
import { hostname } from 'node:os';
import Fastify, { type FastifyError } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Logger } from '../observability/logger.ts';
import { AgentError } from './errors.ts';
import { NAME_PATTERN, type AmphoraRegistry } from './registry.ts';
import type { HeartbeatSender } from './heartbeat-sender.ts';
import { saveSettings } from './heartbeat-settings.ts';
import type { L4Plan } from '../amphora/render/l4-plan.ts';
import type { CertificateRenewal } from './certificate-renewal.ts';

export interface AgentTls {
  key: string;
  cert: string;
  ca: string;
}

export interface AgentServerOptions {
  tls: AgentTls;
  registry: AmphoraRegistry;
  heartbeat: HeartbeatSender;
  heartbeatFile: string;
  agentVersion: string;
  haproxyVersion: string;
  log: Logger;
  /** The agent's own certificate: what it serves, and its renewal by the controller. */
  certificate: CertificateRenewal;
}

/** Supervision events in /1.0/info; the rest through /1.0/supervision/events. */
const INFO_EVENTS = 50;

/** Access-log lines per answer: by default, and at most. */
const LOG_LIMIT = 100;
const MAX_LOG_LIMIT = 10_000;

/** A rendered haproxy.cfg with thousands of members is a few MB. */
const BODY_LIMIT = 16 * 1024 * 1024;

const AmphoraParams = Type.Object({ amphora_id: Type.String({ pattern: NAME_PATTERN }) });
const Name = Type.String({ pattern: NAME_PATTERN });
// One runtime API command per entry: ';' and line breaks would smuggle in further commands
// and make the per-command result meaningless.
const RuntimeCommand = Type.String({ minLength: 1, maxLength: 4096, pattern: '^[^;\\r\\n]+$' });

function errorBody(err: AgentError) {
  return err.details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details: err.details };
}

export function buildAgentServer(options: AgentServerOptions) {
  const { registry } = options;
  const app = Fastify({
    loggerInstance: options.log.child({ role: 'amphora-agent' }),
    bodyLimit: BODY_LIMIT,
    https: { key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: true, rejectUnauthorized: true },
    // validateSchema: the route schemas are fixed TypeBox output; checking them against the JSON
    // Schema meta-schema at every start was a fifth of the agent's start-up CPU.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, validateSchema: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let err: AgentError;
    if (error instanceof AgentError) err = error;
    else if (error.validation) err = new AgentError('LB_ERR_AGENT_INVALID_REQUEST', 400, `invalid request: ${error.message}`);
    else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      err = new AgentError('LB_ERR_AGENT_INVALID_REQUEST', error.statusCode, error.message);
    } else {
      request.log.error({ err: error }, 'agent request failed');
      err = new AgentError('LB_ERR_AGENT_INTERNAL', 500, `agent error: ${error.message}`);
    }
    reply.status(err.status).send(errorBody(err));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ code: 'LB_ERR_AGENT_NO_ROUTE', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  app.get('/1.0/info', async () => ({
    agent_version: options.agentVersion,
    haproxy_version: options.haproxyVersion,
    hostname: hostname(),
    base_dir: registry.baseDir,
    amphorae: registry.ids(),
    supervision: { totals: registry.events.totals, last_seq: registry.events.lastSeq, events: registry.events.since(0, INFO_EVENTS) },
  }));

  // Where heartbeats go and the key that signs them; the controller sets them when it adopts
  // this agent and whenever the health managers change.
  app.get('/1.0/heartbeat', async () => options.heartbeat.status() ?? { digest: null });

  app.put(
    '/1.0/heartbeat',
    {
      schema: {
        body: Type.Object(
          {
            key_id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
            key: Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' }),
            targets: Type.Array(Type.Object({ host: Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:-]+$' }), port: Type.Integer({ minimum: 1, maximum: 65535 }) }, { additionalProperties: false }), { maxItems: 32 }),
            interval_ms: Type.Integer({ minimum: 50, maximum: 60_000 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      await saveSettings(options.heartbeatFile, request.body);
      options.heartbeat.configure(request.body);
      return options.heartbeat.status();
    },
  );

  // The certificate this agent serves, and its renewal (certificate-renewal.ts): a new key
  // stays here, only its signing request leaves.
  app.get('/1.0/certificate', async () => options.certificate.served());

  app.post('/1.0/certificate/csr', async (_request, reply) => reply.status(201).send(await options.certificate.request()));

  app.put(
    '/1.0/certificate',
    { schema: { body: Type.Object({ certificate: Type.String({ minLength: 1, maxLength: 20_000 }) }, { additionalProperties: false }) } },
    async (request) => options.certificate.install(request.body.certificate),
  );

  // What supervision did since `since` (a `seq` from an earlier answer), for whoever reports it.
  app.get(
    '/1.0/supervision/events',
    // Query values arrive as text and the agent coerces nothing.
    { schema: { querystring: Type.Object({ since: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) }, { additionalProperties: false }) } },
    async (request) => ({ last_seq: registry.events.lastSeq, events: registry.events.since(Number(request.query.since ?? 0)) }),
  );

  app.put(
    '/1.0/amphorae/:amphora_id',
    { schema: { params: AmphoraParams, body: Type.Object({ netns: Type.Optional(Type.Union([Name, Type.Null()])) }, { additionalProperties: false }) } },
    async (request) => {
      const amphora = await registry.register(request.params.amphora_id, request.body.netns ?? null);
      return { amphora_id: amphora.id, netns: amphora.netns, run_dir: amphora.layout.runDir };
    },
  );

  app.get('/1.0/amphorae/:amphora_id', { schema: { params: AmphoraParams } }, async (request) => registry.get(request.params.amphora_id).status());

  app.delete('/1.0/amphorae/:amphora_id', { schema: { params: AmphoraParams } }, async (request, reply) => {
    await registry.remove(request.params.amphora_id);
    return reply.status(204).send();
  });

  app.put(
    '/1.0/amphorae/:amphora_id/haproxy',
    {
      schema: {
        params: AmphoraParams,
        body: Type.Object(
          {
            config: Type.String({ minLength: 1 }),
            runtime: Type.Optional(Type.Array(RuntimeCommand)),
            // The PEM files the config names (certificates, CA bundles, CRLs, crt-lists).
            files: Type.Optional(Type.Array(Type.Object({ path: Type.String({ minLength: 1, maxLength: 4096 }), content: Type.String() }, { additionalProperties: false }))),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const id = request.params.amphora_id;
      const amphora = registry.get(id);
      const result = await amphora.exclusive(async () => {
        // The worker a reload replaces takes its counters since the last report with it.
        if (amphora.haproxy.isRunning()) await options.heartbeat.beatBefore(id);
        return amphora.applyHaproxy(request.body.config, request.body.runtime, request.body.files);
      });
      // The statuses of what the new configuration serves, without waiting for the heartbeat that carries them.
      options.heartbeat.beatNow(id);
      return result;
    },
  );

  app.delete('/1.0/amphorae/:amphora_id/haproxy', { schema: { params: AmphoraParams } }, async (request, reply) => {
    const amphora = registry.get(request.params.amphora_id);
    await amphora.exclusive(() => amphora.stopHaproxy());
    return reply.status(204).send();
  });

  app.get('/1.0/amphorae/:amphora_id/stats', { schema: { params: AmphoraParams } }, async (request) => registry.get(request.params.amphora_id).stats());

  // The id goes into a runtime API command: a UUID only, nothing that could end it.
  app.get(
    '/1.0/amphorae/:amphora_id/sources/:listener_id',
    {
      schema: {
        params: Type.Object({ amphora_id: Type.String({ pattern: NAME_PATTERN }), listener_id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }) }),
      },
    },
    async (request) => {
      const limit = Number((request.query as Record<string, string | undefined>).limit ?? 20);
      return registry.get(request.params.amphora_id).sources(request.params.listener_id, Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : 20);
    },
  );

  app.put(
    '/1.0/amphorae/:amphora_id/keepalived',
    { schema: { params: AmphoraParams, body: Type.Object({ config: Type.String({ minLength: 1 }) }, { additionalProperties: false }) } },
    async (request) => {
      const amphora = registry.get(request.params.amphora_id);
      return amphora.exclusive(() => amphora.applyKeepalived(request.body.config));
    },
  );

  app.delete('/1.0/amphorae/:amphora_id/keepalived', { schema: { params: AmphoraParams } }, async (request, reply) => {
    const amphora = registry.get(request.params.amphora_id);
    await amphora.exclusive(() => amphora.stopKeepalived());
    return reply.status(204).send();
  });

  // The UDP/SCTP plan; its values are checked where they are rendered (nftables-ruleset.ts).
  app.put(
    '/1.0/amphorae/:amphora_id/l4',
    { schema: { params: AmphoraParams, body: Type.Object({ plan: Type.Object({ listeners: Type.Array(Type.Any(), { maxItems: 10_000 }) }, { additionalProperties: false }) }, { additionalProperties: false }) } },
    async (request) => {
      const amphora = registry.get(request.params.amphora_id);
      const result = await amphora.exclusive(() => amphora.l4.apply(request.body.plan as L4Plan));
      options.heartbeat.beatNow(amphora.id);
      return result;
    },
  );

  // Packets, bytes and new flows per UDP/SCTP listener and member, live flows per listener.
  app.get('/1.0/amphorae/:amphora_id/l4/stats', { schema: { params: AmphoraParams } }, async (request) => registry.get(request.params.amphora_id).l4.stats());

  app.put(
    '/1.0/amphorae/:amphora_id/track',
    { schema: { params: AmphoraParams, body: Type.Object({ fault: Type.Boolean() }, { additionalProperties: false }) } },
    async (request) => {
      const amphora = registry.get(request.params.amphora_id);
      const fault = await amphora.exclusive(() => amphora.setFault(request.body.fault));
      return { fault, fault_requested: request.body.fault };
    },
  );

  // Failover drills: the amphora's daemons die as in a crash; what the agent does next (restart
  // them) is what the drill measures.
  app.put('/1.0/amphorae/:amphora_id/crash', { schema: { params: AmphoraParams } }, async (request) => {
    const amphora = registry.get(request.params.amphora_id);
    return { killed: await amphora.exclusive(async () => amphora.crash()) };
  });

  // The amphora's access log: the newest `limit` lines after sequence `after` and at or after
  // `since` (ms since the epoch). Followers pass the `last_seq` of their previous answer.
  app.get(
    '/1.0/amphorae/:amphora_id/logs',
    {
      schema: {
        params: AmphoraParams,
        querystring: Type.Object(
          {
            after: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
            since: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { after, since, limit } = request.query;
      return registry.get(request.params.amphora_id).logs.read({
        afterSeq: after === undefined ? undefined : Number(after),
        sinceMs: since === undefined ? undefined : Number(since),
        limit: Math.min(Math.max(Number(limit ?? LOG_LIMIT), 1), MAX_LOG_LIMIT),
      });
    },
  );

  app.get('/1.0/amphorae/:amphora_id/interfaces', { schema: { params: AmphoraParams } }, async (request) => ({
    interfaces: await registry.get(request.params.amphora_id).interfaces(),
  }));

  return app;
}
