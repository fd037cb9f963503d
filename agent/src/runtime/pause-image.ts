// The sandbox image when the operator names none: made on the node itself, so a node needs no
// registry or download for it. Its rootfs is one static x86-64 program of 129 bytes that sleeps
// in pause(2) for ever, as Kubernetes' pause does; it is stopped with SIGKILL (see
// pod-sandboxes.ts), so it needs no signal handler. Other architectures name an image with
// --pod-sandbox-image.
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { engineMessage, isNotFound } from './engine-error.ts';

export const BUILTIN_PAUSE_IMAGE = 'berth/pause:1';
export const PAUSE_COMMAND = ['/pause'];

const LOAD_ADDRESS = 0x400000n;
const HEADERS = 64 + 56;
// loop: mov eax, 34 (pause); syscall; jmp loop
const CODE = Buffer.from([0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7]);

/** ELF64 header and one PT_LOAD program header mapping the whole file read+execute. */
export function pauseProgram(): Buffer {
  const size = BigInt(HEADERS + CODE.length);
  const elf = Buffer.alloc(HEADERS);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // magic, 64-bit, little-endian, version 1
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(0x3e, 18); // x86-64
  elf.writeUInt32LE(1, 20);
  elf.writeBigUInt64LE(LOAD_ADDRESS + BigInt(HEADERS), 24); // entry: the code after the headers
  elf.writeBigUInt64LE(64n, 32); // program headers right after this header
  elf.writeUInt16LE(64, 52);
  elf.writeUInt16LE(56, 54);
  elf.writeUInt16LE(1, 56);
  elf.writeUInt32LE(1, 64); // PT_LOAD
  elf.writeUInt32LE(5, 68); // R+X
  elf.writeBigUInt64LE(LOAD_ADDRESS, 80);
  elf.writeBigUInt64LE(LOAD_ADDRESS, 88);
  elf.writeBigUInt64LE(size, 96);
  elf.writeBigUInt64LE(size, 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  return Buffer.concat([elf, CODE]);
}

/** A ustar archive of one executable file at the root. */
export function tarOfOne(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (text: string, offset: number, length: number) => header.write(text, offset, length, 'ascii');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0');
  field(name, 0, 100);
  field(octal(0o755, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(content.length, 12), 124, 12);
  field(octal(0, 12), 136, 12);
  field('        ', 148, 8); // the checksum counts its own field as spaces
  field('0', 156, 1);
  field('ustar\u000000', 257, 8);
  const sum = header.reduce((s, b) => s + b, 0);
  field(`${octal(sum, 7)}\u0000`, 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** Imports the built-in image unless the engine has it; only on x86-64. */
export async function ensureBuiltinPauseImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(BUILTIN_PAUSE_IMAGE).inspect();
    return;
  } catch (err) {
    if (!isNotFound(err)) throw new Error(engineMessage(err));
  }
  if (process.arch !== 'x64') throw new Error(`no built-in sandbox image for ${process.arch}: name one with --pod-sandbox-image`);
  const [repo, tag] = BUILTIN_PAUSE_IMAGE.split(':');
  const progress = (await docker.importImage(Readable.from([tarOfOne('pause', pauseProgram())]) as never, { repo, tag })) as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())));
}
