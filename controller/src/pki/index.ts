export * from './ca-files.ts';
export * from './certificate-authority.ts';
export * from './create-ca.ts';
export * from './fingerprint.ts';
export * from './server-certificate.ts';
export * from './client-certificate.ts';
export * from './host-name.ts';
export { certificateSpki } from './der.ts';
