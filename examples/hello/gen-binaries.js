#!/usr/bin/env node
// Writes the example app's two static binaries, one per architecture, as minimal hand-assembled ELF
// executables. There are no base images or cross compilers on the release machines, and a FROM scratch
// image still needs something that runs: these print one line naming their architecture and exit 0.
// Run: node examples/hello/gen-binaries.js (the outputs are committed; this documents their bytes).
"use strict";
const fs = require("fs");
const path = require("path");

const BASE = 0x400000n;
const HEADERS = 64 + 56;

function elf(machine, code, message) {
  const msg = Buffer.from(message, "utf8");
  const body = Buffer.concat([code(msg.length), msg]);
  const total = HEADERS + body.length;
  const h = Buffer.alloc(HEADERS);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(h, 0);
  h.writeUInt16LE(2, 16); // ET_EXEC
  h.writeUInt16LE(machine, 18);
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(BASE + BigInt(HEADERS), 24); // entry
  h.writeBigUInt64LE(64n, 32); // phoff
  h.writeUInt16LE(64, 52); // ehsize
  h.writeUInt16LE(56, 54); // phentsize
  h.writeUInt16LE(1, 56); // phnum
  h.writeUInt32LE(1, 64); // PT_LOAD
  h.writeUInt32LE(5, 68); // R+X
  h.writeBigUInt64LE(BASE, 80); // vaddr
  h.writeBigUInt64LE(BASE, 88); // paddr
  h.writeBigUInt64LE(BigInt(total), 96); // filesz
  h.writeBigUInt64LE(BigInt(total), 104); // memsz
  h.writeBigUInt64LE(0x1000n, 112); // align
  return Buffer.concat([h, body]);
}

// x86_64: write(1, msg, len); exit(0)
function amd64(len) {
  const b = Buffer.alloc(33);
  Buffer.from([0xb8, 1, 0, 0, 0, 0xbf, 1, 0, 0, 0, 0x48, 0x8d, 0x35]).copy(b, 0);
  b.writeInt32LE(33 - 17, 13); // rip-relative: msg follows the 33 code bytes
  b[17] = 0xba;
  b.writeUInt32LE(len, 18);
  Buffer.from([0x0f, 0x05, 0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05]).copy(b, 22);
  return b;
}

// aarch64: the same two syscalls (write = 64, exit = 93)
function arm64(len) {
  const words = [
    0xd2800020, // movz x0, #1
    0x100000e1, // adr x1, msg (+28 bytes)
    0xd2800002 | (len << 5), // movz x2, #len
    0xd2800808, // movz x8, #64
    0xd4000001, // svc #0
    0xd2800000, // movz x0, #0
    0xd2800ba8, // movz x8, #93
    0xd4000001, // svc #0
  ];
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, i * 4));
  return b;
}

for (const [arch, machine, code] of [
  ["amd64", 0x3e, amd64],
  ["arm64", 0xb7, arm64],
]) {
  const out = path.join(__dirname, "rootfs", arch, "hello");
  fs.writeFileSync(out, elf(machine, code, `hello from image-release example (linux/${arch})\n`), {
    mode: 0o755,
  });
  console.log(`wrote ${out}`);
}
