import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

export async function listenerRoutes(_app: FastifyInstance, _deps: ApiDeps): Promise<void> {}
