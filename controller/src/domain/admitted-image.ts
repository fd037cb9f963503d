// The image a reservation runs is the one it was admitted with (Reservation.imageSpec), not the
// live Image row: an admin's later edit must not recreate a customer's running container, whose
// image the customer cannot change either. Pure readers of that snapshot.
import type { ImageSpecInput } from '../manifests/index.ts';

/** What the reservation row keeps of its image; NULL only on old ended rows whose image is gone. */
export function admittedImage(row: { imageSpec: unknown }): ImageSpecInput | null {
  return (row.imageSpec ?? null) as ImageSpecInput | null;
}

/** Public ports the reservation holds while it runs: one per port of the image it was admitted with. */
export function admittedPortCount(row: { imageSpec: unknown }): number {
  return admittedImage(row)?.ports?.length ?? 0;
}
