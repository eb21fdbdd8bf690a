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

export class ConfigError extends FulcrumError {
  constructor(message: string) {
    super('LB_ERR_CONFIG', 500, message);
  }
}
