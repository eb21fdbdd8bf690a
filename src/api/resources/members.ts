import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

export async function memberRoutes(_app: FastifyInstance, _deps: ApiDeps): Promise<void> {}
