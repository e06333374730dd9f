/**
 * The simulated WAN's link proxy (lib/wan/proxy.ts) over real sockets: a target that refuses the
 * connection refuses the client too (a reset), instead of hanging up on a request it took.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTopology } from '../lib/topology.ts';
import { startLink, type RunningLink } from '../lib/wan/proxy.ts';

/**
 * A port nothing listens on, below the ephemeral range: a port the system just gave back may be
 * handed to the proxy's own outgoing socket, which would then connect to itself.
 */
const REFUSING_PORT = 1;

describe('a link whose target refuses connections', () => {
  let link: RunningLink;

  beforeAll(async () => {
    const planned = buildTopology({ wan: { rttOverride: 'dakar:thies=2' } }).wan!.links[0]!;
    link = await startLink({ ...planned, port: 0, targetHost: '127.0.0.1', targetPort: REFUSING_PORT });
  });

  afterAll(() => link?.close());

  it('resets the client connection, as the target would without the link', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: link.port }, () => socket.write('POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}'));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      socket.on('end', () => resolve('closed after the request was taken'));
    });
    expect(outcome).toBe('ECONNRESET');
  });
});
