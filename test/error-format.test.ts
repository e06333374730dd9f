/**
 * How errors are shaped for callers: stack traces only under TERANGA_DEBUG=1, an expected
 * failure's code and details as they are, and no site named in an error except an unreachable one.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { withoutSiteOfData } from '../gateway/error-privacy.ts';
import { errorFormatter } from '../lib/service/graphql-errors.ts';
import { placement } from '../lib/placement.ts';

const traced: GraphQLFormattedError = { message: 'Forbidden', extensions: { code: 'FORBIDDEN', stacktrace: ['Error: Forbidden', '    at x (y.ts:1:1)'] } };

function unknownCityError(): GraphQLError {
  try {
    placement('Thiess');
  } catch (error) {
    return new GraphQLError((error as Error).message, { originalError: error as Error });
  }
  throw new Error('placed');
}

describe('error answers', () => {
  it('carry no stack trace, in development too, unless debugging', () => {
    expect(errorFormatter({ development: true })(traced, new GraphQLError('Forbidden')).extensions).toEqual({ code: 'FORBIDDEN' });
    expect(errorFormatter({ development: false })(traced, new GraphQLError('Forbidden')).extensions).toEqual({ code: 'FORBIDDEN' });
    expect(errorFormatter({ development: true, debug: true })(traced, new GraphQLError('Forbidden')).extensions).toHaveProperty('stacktrace');
  });

  it('keep UNKNOWN_CITY as the code, with the city and the suggestions', () => {
    const error = unknownCityError();
    const formatted = errorFormatter({ development: false })({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
    expect(formatted.extensions).toEqual({ code: 'UNKNOWN_CITY', city: 'Thiess', suggestions: ['Thiès'] });
  });

  it('name a site only when it is the one that cannot be reached', () => {
    const format = withoutSiteOfData((f) => f);
    const refused = format({ message: 'Forbidden', extensions: { code: 'FORBIDDEN', site: 'THIES' } }, null);
    expect(refused.extensions).toEqual({ code: 'FORBIDDEN' });
    const down = format({ message: 'Site THIES cannot be reached', extensions: { code: 'SITE_UNAVAILABLE', site: 'THIES' } }, null);
    expect(down.extensions).toEqual({ code: 'SITE_UNAVAILABLE', site: 'THIES' });
  });
});
