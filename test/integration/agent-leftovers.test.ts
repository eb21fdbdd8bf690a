// Whatever an agent still runs for an amphora the database says was deleted (retired by a
// failover while the agent was down) is removed at each agent sync, also when the agent's
// heartbeat settings are already up to date and nothing else is sent to it. Real health manager
// and PostgreSQL; the agent's REST API is the stand-in of test/helpers/heartbeat-fleet.ts, here
// also keeping the amphorae it hosts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { AGENT_URL, createFleet, RecordingAgents, startManager, type FleetMember } from '../helpers/heartbeat-fleet.ts';
import type { HealthManager } from '../../src/health/health-manager.ts';

/** An agent that still hosts every amphora of the fleet until told to remove one. */
class HostingAgents extends RecordingAgents {
  readonly running = new Set<string>();
  readonly removed: string[] = [];
  override async hosted(_agentUrl: string): Promise<string[]> {
    return [...this.running];
  }
  override async remove(_agentUrl: string, id: string): Promise<void> {
    this.running.delete(id);
    this.removed.push(id);
  }
}

let app: TestApp;
let fleet: FleetMember[];
let manager: HealthManager | undefined;
const agents = new HostingAgents();

before(async () => {
  app = await startTestApp('postgres', { worker: true });
  fleet = await createFleet(app, 2);
  await app.setWorker(false);
});

after(async () => {
  await manager?.stop();
  await app?.close();
});

test('a sync removes what the agent runs for deleted amphorae, settings up to date or not', async () => {
  manager = await startManager(app, agents, { syncMs: 60_000 });
  assert.ok(agents.settings.has(AGENT_URL), 'the first sync gave the agent its settings');
  for (const m of fleet) agents.running.add(m.amphoraId);
  await app.rt.database.db.updateTable('amphora').set({ status: 'DELETED' }).where('id', '=', fleet[0].amphoraId).execute();
  // The agent's settings are the manager's already: nothing to send, the leftover still goes.
  await manager.syncAgents();
  assert.deepEqual(agents.removed, [fleet[0].amphoraId]);
  assert.deepEqual([...agents.running], [fleet[1].amphoraId], 'a live amphora stays');
});
