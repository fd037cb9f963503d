// @peculiar/x509 signs with a WebCrypto provider; Node's own (node:crypto webcrypto) is the one
// to use, set once here so that every importer of the PKI module gets it.
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const subtle = webcrypto.subtle;

/** ECDSA on P-256: the algorithm of the CA and of every key Berth generates itself. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
