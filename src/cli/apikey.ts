// `fulcrum apikey create|list|revoke`: Fulcrum's own API keys (FULCRUM_AUTH_STRATEGY=apikey).
// Works on the configured database directly; with the embedded database, `fulcrum serve` holds
// it, so run these while it is stopped (or use PostgreSQL).
import { Command } from 'commander';
import type { FulcrumConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { databaseUrl } from '../runtime.ts';
import { FulcrumError } from '../errors.ts';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from '../auth/apikey-store.ts';

function time(value: Date | null): string {
  return value ? value.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** `fulcrum apikey list` output: one aligned row per key, newest last. */
export function renderApiKeyTable(keys: ApiKeyRecord[]): string {
  const header = ['ID', 'NAME', 'PROJECT', 'ROLES', 'CREATED', 'LAST USED', 'REVOKED'];
  const rows = keys.map((k) => [k.id, k.name || '-', k.projectId, k.roles.join(','), time(k.createdAt), time(k.lastUsedAt), time(k.revokedAt)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function withDatabase<T>(config: FulcrumConfig, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(databaseUrl(config));
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',')];
}

export function apiKeyCommand(config: () => FulcrumConfig): Command {
  const command = new Command('apikey').description("manage Fulcrum's own API keys (FULCRUM_AUTH_STRATEGY=apikey)");

  command
    .command('create')
    .description('create a key for a project with roles; prints the key once')
    .requiredOption('--project <project>', 'the project the key acts for')
    .requiredOption('--role <role>', 'a role (repeatable or comma-separated), e.g. member, reader, admin, load-balancer_observer', collect, [])
    .option('--name <name>', 'a name to recognise the key by')
    .option('--description <text>', 'what the key is for')
    .action(async (opts: { project: string; role: string[]; name?: string; description?: string }) => {
      const { key, record } = await withDatabase(config(), (database) =>
        createApiKey(database.db, { projectId: opts.project, roles: opts.role, name: opts.name, description: opts.description }),
      );
      console.log(`id:      ${record.id}`);
      console.log(`project: ${record.projectId}`);
      console.log(`roles:   ${record.roles.join(', ')}`);
      console.log(`key:     ${key}`);
      console.log('The key is shown only now; Fulcrum keeps only its digest. Send it as X-Auth-Token or Authorization: Bearer.');
    });

  command
    .command('list')
    .description('list keys (never the keys themselves)')
    .action(async () => {
      const keys = await withDatabase(config(), (database) => listApiKeys(database.db));
      console.log(keys.length ? renderApiKeyTable(keys) : 'no API keys');
    });

  command
    .command('revoke')
    .description('revoke a key; requests with it are refused at once')
    .argument('<id>', 'the key id (from list)')
    .action(async (id: string) => {
      const revoked = await withDatabase(config(), (database) => revokeApiKey(database.db, id));
      if (!revoked) throw new FulcrumError('LB_ERR_NOT_FOUND', 1, `no active API key with id ${id}`);
      console.log(`revoked ${id}`);
    });

  return command;
}
