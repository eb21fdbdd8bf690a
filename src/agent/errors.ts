// The agent's error catalogue. Every error leaves the agent as `{ code, message, details? }`
// with the status below; the controller's client maps the codes back.
import { FulcrumError } from '../errors.ts';

export class AgentError extends FulcrumError {
  readonly details: unknown;
  constructor(code: string, status: number, message: string, details?: unknown) {
    super(code, status, message);
    this.details = details;
  }
}

export class UnknownAmphora extends AgentError {
  constructor(id: string) {
    super('LB_ERR_AGENT_UNKNOWN_AMPHORA', 404, `amphora ${id} is not registered on this agent`);
  }
}

export class InvalidRequest extends AgentError {
  constructor(message: string) {
    super('LB_ERR_AGENT_INVALID_REQUEST', 400, message);
  }
}

/** `haproxy -c` / `keepalived -t` or the agent's own contract rejected the configuration; nothing was changed. */
export class InvalidConfig extends AgentError {
  constructor(message: string, output: string) {
    super('LB_ERR_AGENT_INVALID_CONFIG', 400, `${message}: ${output.trim()}`, { output });
  }
}

/**
 * The configuration passed the check but the daemon could not run it (a bind failure, which
 * `haproxy -c` does not detect). The previous configuration file was put back and, on a
 * reload, the previous workers keep serving.
 */
export class ApplyFailed extends AgentError {
  constructor(message: string, log: string) {
    super('LB_ERR_AGENT_APPLY_FAILED', 409, message, { log });
  }
}

export class RuntimeCommandFailed extends AgentError {
  constructor(message: string, results: unknown) {
    super('LB_ERR_AGENT_RUNTIME_FAILED', 409, message, { results });
  }
}

/** The agent's exit status when it cannot start for want of a program (the shell's "command not found"). */
export const EXIT_PROGRAM_MISSING = 127;

/** A program the agent runs (haproxy, keepalived, ip) is not installed on this host. */
export class ProgramMissing extends AgentError {
  constructor(program: string) {
    super('LB_ERR_AGENT_PROGRAM_MISSING', 500, `${program} is not installed on the amphora host (not found in PATH)`, { program });
  }
}

export class NotRunning extends AgentError {
  constructor(what: string, id: string) {
    super('LB_ERR_AGENT_NOT_RUNNING', 409, `${what} is not running for amphora ${id}`);
  }
}

export class Conflict extends AgentError {
  constructor(message: string) {
    super('LB_ERR_AGENT_CONFLICT', 409, message);
  }
}
