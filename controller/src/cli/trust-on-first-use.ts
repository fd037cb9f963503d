// `berth login --server https://...` on a machine that has never seen the server: show the
// fingerprint of the CA its certificate chain ends in, and trust it only when the user says so
// (as ssh does with a host key). Scripts must bring the CA (--certificate-authority) instead.
import { isIP } from 'node:net';
import type { DetailedPeerCertificate } from 'node:tls';
import { BerthError } from '../errors/index.ts';
import { UnreachableError } from './http-client.ts';
import { certificateFingerprint, formatFingerprint } from '../pki/fingerprint.ts';

export interface PeerChain {
  /** Verified against the system's roots (a certificate from a public CA needs no prompt). */
  authorized: boolean;
  /** PEM certificates as presented, leaf first. */
  chain: string[];
}

export interface TrustPrompt {
  interactive: boolean;
  ask: (question: string) => Promise<string>;
  say: (text: string) => void;
}

/** The certificates the server presents, without trusting them yet. */
export async function fetchServerChain(server: string, timeoutMs = 10_000): Promise<PeerChain> {
  const url = new URL(server);
  const port = Number(url.port || 443);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // crypto and tls on use (as everywhere in the CLI): they are ~10 ms of every command's start.
  const { X509Certificate } = process.getBuiltinModule('node:crypto');
  const tls = process.getBuiltinModule('node:tls');
  return new Promise((resolve, reject) => {
    // Nothing is sent over this connection: it only reads the certificates.
    const socket = tls.connect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs }, () => {
      const chain: string[] = [];
      const seen = new Set<string>();
      for (let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
        seen.add(c.fingerprint256);
        chain.push(new X509Certificate(c.raw).toString());
      }
      resolve({ authorized: socket.authorized, chain });
      socket.end();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new UnreachableError(`cannot reach the Berth server at ${server}: no TLS answer within ${timeoutMs / 1000}s`));
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UnreachableError(`cannot reach the Berth server at ${server}: ${err.code ?? err.message}`)),
    );
  });
}

/** The CA to verify an https server with from now on: given, asked for, or undefined (system roots). */
export async function establishTrust(server: string, given: string | undefined, prompt: TrustPrompt): Promise<string | undefined> {
  if (given || !server.startsWith('https://')) return given;
  const peer = await fetchServerChain(server);
  if (peer.authorized) return undefined;
  const top = peer.chain[peer.chain.length - 1];
  if (!top) throw new BerthError('Untrusted', `${server} presented no certificate`);
  const ca = new (process.getBuiltinModule('node:crypto').X509Certificate)(top);
  const fingerprint = formatFingerprint(certificateFingerprint(top));
  const who = `"${ca.subject.replace(/\n/g, ', ')}"`;
  if (!prompt.interactive) {
    throw new BerthError(
      'Untrusted',
      `${server} presents a certificate from a CA this machine does not trust (${who}, SHA-256 ${fingerprint}): pass --certificate-authority FILE (your admin has it: \`berth config ca\`), or run on a terminal to check the fingerprint and trust it`,
    );
  }
  prompt.say(
    `The server ${server} presents a certificate signed by the CA ${who}\n  SHA-256 fingerprint: ${fingerprint}\nCompare it with the fingerprint your admin gives you (\`berth config ca\` prints it).\n`,
  );
  const answer = (await prompt.ask(`Trust this CA for ${server}? [y/N] `)).trim();
  if (!/^y(es)?$/i.test(answer)) throw new BerthError('Untrusted', `not trusting ${server}: nothing was sent to it and nothing was saved`);
  return `${top.trim()}\n`;
}
