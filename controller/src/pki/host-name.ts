// RFC 1123 host names, each label at most 63 characters: what a certificate's DNS SAN may hold.
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

export function isHostName(name: string): boolean {
  return HOSTNAME.test(name);
}
