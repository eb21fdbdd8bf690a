// `fulcrum lb ...`: operator commands on one load balancer, each through the API.
import { Command } from 'commander';
import type { FulcrumConfig } from '../config.ts';
import { addMigrateCommand } from './host.ts';
import { addDiagnoseCommand } from './lb-diagnose.ts';
import { addLogsCommand } from './lb-logs.ts';

export function lbCommand(config: () => FulcrumConfig): Command {
  const lb = new Command('lb').description('operator actions and diagnostics on load balancers, through the API');
  addLogsCommand(lb, config);
  addMigrateCommand(lb, config);
  addDiagnoseCommand(lb, config);
  return lb;
}
