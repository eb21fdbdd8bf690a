// `fulcrum dashboard build`: bundles the dashboard into dist/ui (npm's `prepare` runs it, so
// `npm ci` leaves a built dashboard); `fulcrum serve` and `fulcrum api` build it when missing or stale.
import { Command } from 'commander';
import { DASHBOARD_DIR, buildDashboard } from '../ui/build.ts';

export function dashboardCommand(): Command {
  const command = new Command('dashboard').description('the web dashboard served under /ui/');
  command
    .command('build')
    .description('build the dashboard into dist/ui (replacing a previous build)')
    .action(async () => {
      await buildDashboard();
      console.log(`dashboard built in ${DASHBOARD_DIR}`);
    });
  return command;
}
