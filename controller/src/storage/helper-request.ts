// Pure: the words of one request to berth-storage-helper on the storage node. The helper
// validates them again; refusing here keeps a bad name from ever reaching ssh.
import { normalizeStorageKey } from './storage-account.ts';

export type HelperRequest =
  | { verb: 'add-node'; account: string; publicKey: string }
  | { verb: 'remove-node'; account: string }
  | { verb: 'grant'; reservationId: string; account: string }
  | { verb: 'revoke'; reservationId: string }
  | { verb: 'release'; reservationId: string };

const ACCOUNT = /^bn-[a-z0-9-]{1,29}$/;
const RESERVATION = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

function account(value: string): string {
  if (!ACCOUNT.test(value)) throw new Error(`account: "${value}" is not a Berth node account name (bn-[a-z0-9-], at most 32 characters)`);
  return value;
}

function reservation(value: string): string {
  if (!RESERVATION.test(value)) throw new Error(`reservation: "${value}" is not a reservation id (letters, digits and -, at most 64)`);
  return value;
}

/** The request as the words ssh sends (sshd hands them to the helper, never to a shell of ours). */
export function helperWords(r: HelperRequest): string[] {
  switch (r.verb) {
    case 'add-node': {
      const key = normalizeStorageKey(r.publicKey);
      if (!key) throw new Error('key: not an ssh-ed25519 public key');
      return ['add-node', account(r.account), ...key.split(' ')];
    }
    case 'remove-node':
      return ['remove-node', account(r.account)];
    case 'grant':
      return ['grant', reservation(r.reservationId), account(r.account)];
    case 'revoke':
    case 'release':
      return [r.verb, reservation(r.reservationId)];
  }
}
