// Manifests used across tests. The image is built locally by scripts/build-test-images.sh.
export const TEST_IMAGE_REF = 'berth-test/httpd:1';

export function webImage(name = 'web', extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'berth/v1',
    kind: 'Image',
    metadata: { name },
    spec: { ref: TEST_IMAGE_REF, ports: [{ name: 'http', port: 80 }], resources: { cores: 1, memory: '64Mi', maxCores: 2, maxMemory: '256Mi' }, ...extra },
  };
}

export function reservation(name: string, spec: Record<string, unknown> = {}) {
  return { apiVersion: 'berth/v1', kind: 'Reservation', metadata: { name }, spec: { image: 'web', duration: '1h', profile: 'ephemeral', ...spec } };
}
