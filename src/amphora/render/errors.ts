// Why a load balancer could not be rendered. Each maps to a status at the API edge: the data plane
// cannot do it (501), a stored value is not safe to put into a config file (400), or the graph or
// the amphora context handed to the renderer is broken (500: a bug or an operator setting).
import { FulcrumError, ProviderUnsupported } from '../../errors.ts';

/** HAProxy 2.6 cannot serve this (UDP/SCTP listeners, SOURCE_IP_PORT, L7 on a TCP listener, …). */
export class UnsupportedByHaproxy extends ProviderUnsupported {
  constructor(message: string) {
    super('amphora', 'option', message);
  }
}

/** A tenant-supplied value would change the meaning of the config file if written into it. */
export class UnsafeConfigValue extends FulcrumError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super('LB_ERR_UNSAFE_CONFIG_VALUE', 400, `Invalid value for ${field}: ${reason}.`);
    this.field = field;
  }
}

/** The graph or context contradicts itself (e.g. a default pool that is not in the graph). */
export class RenderInputError extends FulcrumError {
  constructor(message: string) {
    super('LB_ERR_RENDER_INPUT', 500, message);
  }
}
