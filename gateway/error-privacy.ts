/**
 * What an error may say about where data lives. The site router tags every error a site returned
 * with that site (useful inside the gateway and in its logs), but to a caller the site of a
 * client's error is the client's address: `client(id: "2")` refused to an anonymous caller must
 * not answer "THIES". Only an unreachable site is named, as the caller can do nothing else with
 * SITE_UNAVAILABLE than know which part is missing.
 */
import type { GraphQLFormattedError } from 'graphql';
import type { ErrorFormatter } from '../lib/service/graphql-errors.ts';

export function withoutSiteOfData(format: ErrorFormatter): ErrorFormatter {
  return (formatted, error) => {
    const result = format(formatted, error);
    const extensions = result.extensions;
    if (!extensions || !('site' in extensions) || extensions.code === 'SITE_UNAVAILABLE') return result;
    const { site: _site, ...rest } = extensions;
    const stripped: GraphQLFormattedError = { ...result, extensions: rest };
    return stripped;
  };
}
