import { describe, expect, it } from 'vitest';
import { renderInstallScript, requestOrigin } from './render-install-script.ts';

const VALUES = {
  version: '0.1.0',
  apiUrl: 'https://10.0.0.1:7070',
  controllerHost: '10.0.0.1',
  grpcPort: 7071,
  fingerprint: 'ab'.repeat(32),
  bundleSha256: '01'.repeat(32),
  caPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
};
const TEMPLATE = "A='@@VERSION@@' B='@@API_URL@@' C='@@CONTROLLER_HOST@@' D='@@GRPC_PORT@@' E='@@FINGERPRINT@@' F='@@BUNDLE_SHA256@@' G='@@CA_PEM@@'";

describe('renderInstallScript', () => {
  it('fills every placeholder, the CA as one quoted multi-line value', () => {
    const out = renderInstallScript(TEMPLATE, VALUES);
    expect(out).toBe(
      `A='0.1.0' B='https://10.0.0.1:7070' C='10.0.0.1' D='7071' E='${'ab'.repeat(32)}' F='${'01'.repeat(32)}' G='-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'`,
    );
  });

  it('accepts an empty CA (plain HTTP, or a publicly trusted certificate)', () => {
    expect(renderInstallScript(TEMPLATE, { ...VALUES, caPem: '' })).toContain("G=''");
  });

  it('refuses a value that would leave its quotes, naming the value', () => {
    expect(() => renderInstallScript(TEMPLATE, { ...VALUES, controllerHost: "x'; rm -rf / #" })).toThrow(/unsafe controllerHost/);
    expect(() => renderInstallScript(TEMPLATE, { ...VALUES, caPem: "-----BEGIN CERTIFICATE-----\n'\n-----END CERTIFICATE-----" })).toThrow(/unsafe caPem/);
    expect(() => renderInstallScript(TEMPLATE, { ...VALUES, bundleSha256: 'zz' })).toThrow(/unsafe bundleSha256/);
  });

  it('fails on a placeholder it has no value for (a template and renderer out of step)', () => {
    expect(() => renderInstallScript(`${TEMPLATE} @@NEW_THING@@`, VALUES)).toThrow(/@@NEW_THING@@ has no value/);
  });
});

describe('requestOrigin', () => {
  it('takes scheme, host and port from the request', () => {
    expect(requestOrigin('https', '10.0.0.1:7070')).toEqual({ apiUrl: 'https://10.0.0.1:7070', host: '10.0.0.1' });
    expect(requestOrigin('http', 'mgmt.example')).toEqual({ apiUrl: 'http://mgmt.example', host: 'mgmt.example' });
    expect(requestOrigin('https', '[::1]:7070')).toEqual({ apiUrl: 'https://[::1]:7070', host: '[::1]' });
  });

  it('refuses a missing or crafted Host header', () => {
    for (const h of [undefined, '', 'a b', "x'y", 'h:70000', 'user@host']) expect(() => requestOrigin('https', h)).toThrow(/Host header/);
  });
});
