/**
 * GET_ROUTEINFO_BY_TOPIC (105) request header (ref §2.3.1): topic! acceptStandardJsonOnly:bool (4.9.4+, nullable).
 */
import type { ExtInput } from '../../command';
import { extBool, extString } from '../fields';
import type { ExtFields } from '../fields';

export interface GetRouteInfoRequestHeader {
  topic: string;
  acceptStandardJsonOnly?: boolean;
}

export function decodeGetRouteInfoRequestHeader(ext: ExtFields): GetRouteInfoRequestHeader {
  return { topic: extString(ext, 'topic'), acceptStandardJsonOnly: extBool(ext, 'acceptStandardJsonOnly', false) };
}

export function encodeGetRouteInfoRequestHeader(h: GetRouteInfoRequestHeader): ExtInput {
  return { topic: h.topic, acceptStandardJsonOnly: h.acceptStandardJsonOnly };
}
