// One error type per meaning. The API edge maps each to Octavia's fault body
// `{faultcode, faultstring, debuginfo}`; nothing else in the code knows that shape.

export class FulcrumError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.code = code;
    this.status = status;
    this.name = code;
  }
}

export class InvalidInput extends FulcrumError {
  constructor(message: string) {
    super('LB_ERR_INVALID_INPUT', 400, message);
  }
}

export class ValidationFailure extends FulcrumError {
  constructor(detail: string) {
    super('LB_ERR_VALIDATION', 400, `Validation failure: ${detail}`);
  }
}

export class InvalidOption extends FulcrumError {
  constructor(value: string, option: string) {
    super('LB_ERR_INVALID_OPTION', 400, `${value} is not a valid option for ${option}`);
  }
}

export class InvalidListQuery extends FulcrumError {
  constructor(message = 'One or more arguments are either duplicate or invalid') {
    super('LB_ERR_INVALID_QUERY', 400, message);
  }
}

export class NotFound extends FulcrumError {
  constructor(resource: string, id: string) {
    super('LB_ERR_NOT_FOUND', 404, `${resource} ${id} not found.`);
  }
}

export class RouteNotFound extends FulcrumError {
  constructor(method: string, url: string) {
    super('LB_ERR_ROUTE_NOT_FOUND', 404, `The resource could not be found: ${method} ${url}`);
  }
}

export class Forbidden extends FulcrumError {
  constructor(message = 'Policy does not allow this request to be performed.') {
    super('LB_ERR_FORBIDDEN', 403, message);
  }
}

export class Unauthorized extends FulcrumError {
  constructor() {
    super('LB_ERR_UNAUTHORIZED', 401, 'The request you have made requires authentication.');
  }
}

/** The load balancer itself is in a state that forbids the operation. */
export class InvalidLoadBalancerState extends FulcrumError {
  constructor(state: string, lbId: string) {
    super('LB_ERR_INVALID_STATE', 409, `Invalid state ${state} of loadbalancer resource ${lbId}`);
  }
}

/** A parent of the object (LB, pool, L7 policy) is locked by a running flow. */
export class ImmutableObject extends FulcrumError {
  constructor(resource: string, id: string) {
    super('LB_ERR_IMMUTABLE', 409, `${resource} ${id} is immutable and cannot be updated.`);
  }
}

export class Conflict extends FulcrumError {
  constructor(message: string) {
    super('LB_ERR_CONFLICT', 409, message);
  }
}

export class InvalidL7PolicyAction extends FulcrumError {
  constructor(action: string) {
    super('LB_ERR_L7POLICY_ACTION', 400, `Invalid L7 Policy action specified: ${action}`);
  }
}

export class InvalidL7PolicyArguments extends FulcrumError {
  constructor(detail: string) {
    super('LB_ERR_L7POLICY_ARGUMENTS', 400, `Invalid L7 Policy arguments: ${detail}`);
  }
}

export class InvalidL7Rule extends FulcrumError {
  constructor(reason: string) {
    super('LB_ERR_L7RULE', 400, `Error parsing L7Rule: ${reason}`);
  }
}

/** PROMETHEUS listeners serve metrics themselves: no pools, no L7 policies. */
export class ListenerNoChildren extends FulcrumError {
  constructor(protocol: string) {
    super('LB_ERR_LISTENER_NO_CHILDREN', 400, `Protocol ${protocol} listeners cannot have child objects.`);
  }
}

/** A *_container_ref names no certificate the load balancer's project may use, or one of the wrong kind. */
export class CertificateRetrieval extends FulcrumError {
  constructor(refs: string | string[]) {
    // Octavia prints a list of refs as a Python list.
    const shown = Array.isArray(refs) ? `[${refs.map((r) => `'${r}'`).join(', ')}]` : refs;
    super('LB_ERR_CERTIFICATE_RETRIEVAL', 400, `Could not retrieve certificate: ${shown}`);
  }
}

export class UnreadablePkcs12 extends FulcrumError {
  constructor(error: string) {
    super('LB_ERR_PKCS12_UNREADABLE', 400, `The PKCS12 bundle is unreadable. Please check the PKCS12 bundle validity. Error: ${error}`);
  }
}

export class ProviderNotEnabled extends FulcrumError {
  constructor(provider: string) {
    super('LB_ERR_PROVIDER_NOT_ENABLED', 400, `Provider '${provider}' is not enabled.`);
  }
}

export class ProviderUnsupported extends FulcrumError {
  constructor(provider: string, what: 'action' | 'option', message: string) {
    super('LB_ERR_PROVIDER_UNSUPPORTED', 501, `Provider '${provider}' does not support a requested ${what}: ${message}`);
  }
}

export class MethodNotAllowed extends FulcrumError {
  constructor() {
    super('LB_ERR_METHOD_NOT_ALLOWED', 405, 'The method is not allowed for the requested URL.');
  }
}

export class NotAcceptable extends FulcrumError {
  constructor() {
    super('LB_ERR_NOT_ACCEPTABLE', 406, 'Only content type application/json is accepted.');
  }
}

export class BodyTooLarge extends FulcrumError {
  constructor() {
    super('LB_ERR_BODY_TOO_LARGE', 413, 'Request is too large.');
  }
}

/** The identity service could not be asked whether a token is valid. */
export class IdentityUnavailable extends FulcrumError {
  constructor() {
    super('LB_ERR_IDENTITY_UNAVAILABLE', 503, 'The server is currently unavailable. Please try again at a later time.');
  }
}

/** Creating the objects would pass one of the project's quotas (docs/octavia-compatibility.md §5.9). */
export class QuotaExceeded extends FulcrumError {
  /** The project whose quota was met, when known (for the quota.reached event). */
  constructor(
    readonly resources: string[],
    readonly projectId: string | null = null,
  ) {
    super('LB_ERR_QUOTA', 403, `Quota has been met for resources: ${resources.join(', ')}`);
  }
}

/** The project's quota row could not be locked (a deadlock); the client may retry. */
export class ProjectBusy extends FulcrumError {
  constructor() {
    super('LB_ERR_PROJECT_BUSY', 503, 'Project busy.  Unable to lock the project.  Please try again.');
  }
}

/** A flavor, zone or profile still referenced by something that needs it. */
export class ObjectInUse extends FulcrumError {
  constructor(object: string, id: string) {
    super('LB_ERR_IN_USE', 409, `${object} ${id} is in use and cannot be modified.`);
  }
}

/** A unique name taken, e.g. "A flavor of gold already exists." */
export class RecordAlreadyExists extends FulcrumError {
  constructor(field: string, name: string) {
    super('LB_ERR_ALREADY_EXISTS', 409, `A ${field} of ${name} already exists.`);
  }
}

export class ConfigError extends FulcrumError {
  constructor(message: string) {
    super('LB_ERR_CONFIG', 500, message);
  }
}
