// Whether the agent can still bring an amphora's daemons back by itself. Pure: the caller
// gathers the facts (all cheap: the supervisors' states and two file checks). When it cannot,
// the heartbeat says why, and the health manager fails the amphora over without waiting out
// its heartbeat timeout: nothing the agent does in those seconds would help.

export type UnhealableReason = 'netns_missing' | 'config_missing' | 'gave_up' | 'keepalived_gave_up';

export interface HealFacts {
  haproxyRunning: boolean;
  /** The controller applied a configuration and did not stop HAProxy since. */
  haproxyWanted: boolean;
  /** HAProxy's supervisor stopped restarting it (it kept dying). */
  gaveUp: boolean;
  /** The amphora has a network namespace and it is gone (deleted with everything in it). */
  netnsMissing: boolean;
  configPresent: boolean;
  /** keepalived is wanted (an ACTIVE_STANDBY amphora), not running, and its supervisor stopped restarting it. */
  keepalivedGaveUp: boolean;
}

export function unhealableReason(f: HealFacts): UnhealableReason | null {
  // Without its namespace's name the agent can neither reach nor restart anything in it, even a
  // HAProxy still running there (one restarted between the namespace's processes being killed
  // and its name being deleted keeps an unnamed namespace alive, usually without its link).
  if (f.netnsMissing) return 'netns_missing';
  // A HAProxy the controller stopped (a flow at work) is not for the agent to heal.
  if (!f.haproxyRunning && f.haproxyWanted) {
    if (!f.configPresent) return 'config_missing';
    if (f.gaveUp) return 'gave_up';
  }
  // HAProxy serves, but this amphora has left its pair's VRRP for good: the peer holds the VIP
  // with no standby behind it until this one is rebuilt.
  if (f.keepalivedGaveUp) return 'keepalived_gave_up';
  return null;
}
